# SPDX-License-Identifier: MIT
# install.cmake - install, export and package-config rules of pacedns.
# Included from the top CMakeLists.txt after the targets pacedns, pacedns_static and
# pacedns_cli are defined:   include(cmake/install.cmake)
#
# Installs (paths relative to the prefix; LIBDIR as GNUInstallDirs chooses it):
#   bin/pacedns                           the CLI (linked statically against libpacedns)
#   bin/pacedns-plot                      plots/pacedns-plot, when that file exists
#   LIBDIR/libpacedns.so*, libpacedns.a   shared and static library
#   include/pacedns.h                     the one public header
#   LIBDIR/pkgconfig/pacedns.pc           relocatable (prefix=${pcfiledir}/...)
#   LIBDIR/cmake/pacedns/                 pacednsConfig.cmake, pacednsConfigVersion.cmake,
#                                         pacednsTargets*.cmake: pacedns::pacedns (shared),
#                                         pacedns::pacedns_static, pacedns::pacedns_cli
#   share/man/man1/pacedns.1              the man page
#   share/pacedns/profiles/*.json         controller profiles
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PACEDNS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pacedns)

# libm found by find_library() is an absolute path of this machine; the exported link
# interface of pacedns_static names plain `m` instead (the build keeps the path).
if(MATH_LIB AND IS_ABSOLUTE "${MATH_LIB}")
  get_target_property(_pacedns_il pacedns_static INTERFACE_LINK_LIBRARIES)
  list(TRANSFORM _pacedns_il REPLACE "^${MATH_LIB}$"
       "$<BUILD_INTERFACE:${MATH_LIB}>;$<INSTALL_INTERFACE:m>")
  set_property(TARGET pacedns_static PROPERTY INTERFACE_LINK_LIBRARIES "${_pacedns_il}")
  unset(_pacedns_il)
endif()

install(TARGETS pacedns pacedns_static pacedns_cli
        EXPORT pacednsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/pacedns.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config file, from the top-level pacedns.pc.in. The prefix is written relative to
# the .pc file (${pcfiledir}) so that `cmake --install BUILD --prefix DIR` and DESTDIR
# installs give a working file whatever CMAKE_INSTALL_PREFIX was at configure time.
function(_pacedns_configure_pc)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(_prefix "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH _up "/_p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/_p")
    string(REGEX REPLACE "/$" "" _up "${_up}")
    set(_prefix "\${pcfiledir}/${_up}")
  endif()
  set(CMAKE_INSTALL_PREFIX "${_prefix}") # function scope: only for the template below
  configure_file(${PROJECT_SOURCE_DIR}/pacedns.pc.in ${PROJECT_BINARY_DIR}/pacedns.pc @ONLY)
endfunction()
_pacedns_configure_pc()
install(FILES ${PROJECT_BINARY_DIR}/pacedns.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# CMake package: find_package(pacedns) gives pacedns::pacedns and pacedns::pacedns_static
# (whose link interface needs getdns, libuv, libcjson, libidn2, libknot, libcurl and
# OpenSSL: the config finds them with
# pkg-config, as the build does).
install(EXPORT pacednsTargets NAMESPACE pacedns:: DESTINATION ${PACEDNS_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/pacednsConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/pacednsConfig.cmake
                              INSTALL_DESTINATION ${PACEDNS_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pacednsConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pacednsConfig.cmake
              ${PROJECT_BINARY_DIR}/pacednsConfigVersion.cmake
        DESTINATION ${PACEDNS_CMAKE_DIR})

# Man page, profiles, plot helper.
install(FILES ${PROJECT_SOURCE_DIR}/man/pacedns.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
file(GLOB PACEDNS_PROFILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/profiles/*.json)
install(FILES ${PACEDNS_PROFILES} DESTINATION ${CMAKE_INSTALL_DATADIR}/pacedns/profiles)
if(EXISTS ${PROJECT_SOURCE_DIR}/plots/pacedns-plot)
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/plots/pacedns-plot DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
