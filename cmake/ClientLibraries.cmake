# The native client libraries behind the health probes, as three INTERFACE targets that
# carry their headers, link lines and OMNIDB_HAVE_* definition:
#   omnidb_client_libpq    libpq, loaded with dlopen() on first use (src/probes/libpq_loader.cc)
#   omnidb_client_hiredis  hiredis, linked statically (libhiredis.a)
#   omnidb_client_mariadb  MariaDB Connector/C, linked statically (libmariadb.a, libz.a)
# Each is defined only when its -dev package is found (OMNIDB_HAVE_<LIB> says which), so the
# build works with or without them. The prebuilt addon therefore needs at run time only
# glibc and what Node provides: libstdc++/libgcc (or nothing, with OMNIDB_STATIC_CXX_RUNTIME)
# and OpenSSL, whose SSL_*/EVP_* symbols Connector/C binds to Node's own (Node exports them).
# Debian builds its static archives with -fPIC/-fPIE (no R_X86_64_32 relocations), so
# they link into the shared addon. With OMNIDB_STATIC_CLIENTS=OFF, or where a distribution
# ships no .a, the shared libraries are linked instead (a NEEDED entry each).

option(OMNIDB_STATIC_CLIENTS "Link hiredis and MariaDB Connector/C statically" ON)
option(OMNIDB_LIBPQ_DLOPEN "Load libpq.so.5 on first use instead of linking it" ON)

find_package(PkgConfig)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(LIBPQ IMPORTED_TARGET libpq)
  pkg_check_modules(HIREDIS IMPORTED_TARGET hiredis)
  pkg_check_modules(MARIADB IMPORTED_TARGET libmariadb)  # MariaDB Connector/C (libmariadb-dev)
endif()

# _omnidb_archive(<out-var> <name> <pkg-config prefix>): the static archive lib<name>.a
# beside the shared library pkg-config names, or empty.
function(_omnidb_archive out name prefix)
  find_library(_archive NAMES lib${name}.a HINTS ${${prefix}_LIBRARY_DIRS} ${${prefix}_LIBDIR} NO_CACHE)
  if(_archive)
    set(${out} ${_archive} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

set(OMNIDB_HAVE_LIBPQ OFF)
set(OMNIDB_HAVE_HIREDIS OFF)
set(OMNIDB_HAVE_MARIADB OFF)
set(OMNIDB_CLIENT_LINKAGE "")

if(LIBPQ_FOUND)
  set(OMNIDB_HAVE_LIBPQ ON)
  add_library(omnidb_client_libpq INTERFACE)
  target_compile_definitions(omnidb_client_libpq INTERFACE OMNIDB_HAVE_LIBPQ=1)
  if(OMNIDB_LIBPQ_DLOPEN)
    add_library(omnidb_libpq_loader STATIC ${PROJECT_SOURCE_DIR}/src/probes/libpq_loader.cc)
    set_target_properties(omnidb_libpq_loader PROPERTIES POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden)
    target_include_directories(omnidb_libpq_loader PUBLIC ${LIBPQ_INCLUDE_DIRS} ${PROJECT_SOURCE_DIR}/src/probes)
    target_link_libraries(omnidb_libpq_loader PUBLIC ${CMAKE_DL_LIBS} PRIVATE omnidb_warnings omnidb_sanitizers)
    target_compile_definitions(omnidb_client_libpq INTERFACE OMNIDB_LIBPQ_DLOPEN=1)
    target_link_libraries(omnidb_client_libpq INTERFACE omnidb_libpq_loader)
    list(APPEND OMNIDB_CLIENT_LINKAGE "libpq=dlopen")
  else()
    target_link_libraries(omnidb_client_libpq INTERFACE PkgConfig::LIBPQ)
    list(APPEND OMNIDB_CLIENT_LINKAGE "libpq=shared")
  endif()
endif()

if(HIREDIS_FOUND)
  set(OMNIDB_HAVE_HIREDIS ON)
  add_library(omnidb_client_hiredis INTERFACE)
  target_compile_definitions(omnidb_client_hiredis INTERFACE OMNIDB_HAVE_HIREDIS=1)
  if(OMNIDB_STATIC_CLIENTS)
    _omnidb_archive(_hiredis_a hiredis HIREDIS)
  endif()
  if(OMNIDB_STATIC_CLIENTS AND _hiredis_a)
    target_include_directories(omnidb_client_hiredis INTERFACE ${HIREDIS_INCLUDE_DIRS})
    target_compile_options(omnidb_client_hiredis INTERFACE ${HIREDIS_CFLAGS_OTHER})
    target_link_libraries(omnidb_client_hiredis INTERFACE ${_hiredis_a})
    list(APPEND OMNIDB_CLIENT_LINKAGE "hiredis=static")
  else()
    target_link_libraries(omnidb_client_hiredis INTERFACE PkgConfig::HIREDIS)
    list(APPEND OMNIDB_CLIENT_LINKAGE "hiredis=shared")
  endif()
endif()

if(MARIADB_FOUND)
  set(OMNIDB_HAVE_MARIADB ON)
  add_library(omnidb_client_mariadb INTERFACE)
  target_compile_definitions(omnidb_client_mariadb INTERFACE OMNIDB_HAVE_MARIADB=1)
  if(OMNIDB_STATIC_CLIENTS)
    _omnidb_archive(_mariadb_a mariadb MARIADB)
    find_library(_zlib_a NAMES libz.a NO_CACHE)
  endif()
  if(OMNIDB_STATIC_CLIENTS AND _mariadb_a AND _zlib_a)
    target_include_directories(omnidb_client_mariadb INTERFACE ${MARIADB_INCLUDE_DIRS})
    target_compile_options(omnidb_client_mariadb INTERFACE ${MARIADB_CFLAGS_OTHER})
    # OpenSSL: left undefined in the addon (bound to Node's at load time); an executable
    # (the GoogleTest suite) has no Node to bind to, so it links the system's.
    target_link_libraries(omnidb_client_mariadb INTERFACE ${_mariadb_a} ${_zlib_a} ${CMAKE_DL_LIBS} m
      "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:ssl;crypto>")
    list(APPEND OMNIDB_CLIENT_LINKAGE "mariadb=static")
  else()
    target_link_libraries(omnidb_client_mariadb INTERFACE PkgConfig::MARIADB)
    list(APPEND OMNIDB_CLIENT_LINKAGE "mariadb=shared")
  endif()
endif()
