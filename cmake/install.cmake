# Installs libstrider with its headers and an exported CMake package, so that an application does
#   find_package(Strider REQUIRED)  and  target_link_libraries(app PRIVATE Strider::strider)
# and, when strider_onnx was built, Strider::onnx (the ONNX loader) as well.
include(CMakePackageConfigHelpers)

# Headers keep their core/ ops/ layout under include/strider/; they include each other relatively.
install(FILES strider.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider)
foreach(dir core nn ops)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strider/${dir} FILES_MATCHING PATTERN "*.hpp"
          PATTERN "simd_batch.hpp" EXCLUDE)  # kernel-internal, needs xsimd
endforeach()

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
configure_package_config_file(cmake/StriderConfig.cmake.in ${PROJECT_BINARY_DIR}/StriderConfig.cmake
  INSTALL_DESTINATION ${STRIDER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/StriderConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/StriderConfig.cmake ${PROJECT_BINARY_DIR}/StriderConfigVersion.cmake
  DESTINATION ${STRIDER_CMAKE_DIR})
