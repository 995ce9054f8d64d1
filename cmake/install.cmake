# Installs libstrider with its headers and an exported CMake package, so that an application does
#   find_package(Strider REQUIRED)  and  target_link_libraries(app PRIVATE Strider::strider)
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
configure_package_config_file(cmake/StriderConfig.cmake.in ${PROJECT_BINARY_DIR}/StriderConfig.cmake
  INSTALL_DESTINATION ${STRIDER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/StriderConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/StriderConfig.cmake ${PROJECT_BINARY_DIR}/StriderConfigVersion.cmake
  DESTINATION ${STRIDER_CMAKE_DIR})
