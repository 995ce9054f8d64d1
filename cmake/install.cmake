# Installs libstrider with its headers and an exported CMake package, so that an application does
#   find_package(Strider REQUIRED)  and  target_link_libraries(app PRIVATE Strider::strider)
# and the components that were built: Strider::onnx (the ONNX loader), Strider::vision (cv::Mat <-> Tensor)
# and Strider::upsampler (ImageUpsampler). Also pkg-config files (strider.pc, strider-vision.pc) and the
# programs (samples/CMakeLists.txt) with the upsampler's weights (upsampler/CMakeLists.txt).
include(CMakePackageConfigHelpers)

# Headers keep their core/ ops/ layout under include/strider/; they include each other relatively.
install(FILES strider.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider)
foreach(dir core nn ops)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider/${dir} FILES_MATCHING PATTERN "*.hpp"
          # kernel-internal, need xsimd
          PATTERN "simd_batch.hpp" EXCLUDE PATTERN "panel.hpp" EXCLUDE PATTERN "conv_microkernel.hpp" EXCLUDE
          PATTERN "*_simd.hpp" EXCLUDE)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/core/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider/core)

install(TARGETS strider EXPORT StriderTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(STRIDER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Strider)
install(EXPORT StriderTargets NAMESPACE Strider:: DESTINATION ${STRIDER_CMAKE_DIR})
# The ONNX loader has an export set of its own: StriderConfig.cmake includes it, and looks for its
# dependencies (ONNX, protobuf), only where it was installed.
if(TARGET strider_onnx)
  install(FILES onnx/onnx_model.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider/onnx)
  set_target_properties(strider_onnx PROPERTIES EXPORT_NAME onnx)
  install(TARGETS strider_onnx EXPORT StriderOnnxTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT StriderOnnxTargets NAMESPACE Strider:: DESTINATION ${STRIDER_CMAKE_DIR})
endif()
# The .pc files name the prefix relative to themselves, so that an installed tree can be moved.
file(RELATIVE_PATH STRIDER_PC_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
# vision and upsampler share an export set: the upsampler links the vision library.
if(TARGET strider_vision)
  install(FILES vision/image_file.hpp vision/image_header.hpp vision/image_tensor.hpp vision/png_encoder.hpp
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider/vision)
  install(FILES upsampler/image_upsampler.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider/upsampler)
  install(TARGETS strider_vision strider_upsampler EXPORT StriderVisionTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT StriderVisionTargets NAMESPACE Strider:: DESTINATION ${STRIDER_CMAKE_DIR})
  configure_file(cmake/strider-vision.pc.in ${PROJECT_BINARY_DIR}/strider-vision.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/strider-vision.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
configure_file(cmake/strider.pc.in ${PROJECT_BINARY_DIR}/strider.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/strider.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_package_config_file(cmake/StriderConfig.cmake.in ${PROJECT_BINARY_DIR}/StriderConfig.cmake
  INSTALL_DESTINATION ${STRIDER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/StriderConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/StriderConfig.cmake ${PROJECT_BINARY_DIR}/StriderConfigVersion.cmake
  DESTINATION ${STRIDER_CMAKE_DIR})
