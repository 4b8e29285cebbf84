# Install rules: headers (the public tree of every layer), the libraries, and a CMake package so
# that an outside project can `find_package(staa CONFIG)` and link `staa::staa`.
include(CMakePackageConfigHelpers)

install(TARGETS staa_tensor staa_autograd staa_nn staa_snn staa_data staa_train staa
  EXPORT staaTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

foreach(dir tensor autograd nn snn data trainer)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir}
    FILES_MATCHING PATTERN "*.h" PATTERN "cuda" EXCLUDE)
endforeach()

install(EXPORT staaTargets NAMESPACE staa:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/staa)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/staaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/staaConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/staa)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/staaConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/staaConfig.cmake ${PROJECT_BINARY_DIR}/staaConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/staa_cudnn.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/staa)
