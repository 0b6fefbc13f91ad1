# Finds libphonenumber: headers from /usr/include or from .deps/ (see
# contrib/install-deps.sh), the shared library from Debian's libphonenumber8.
find_path(PhoneNumber_INCLUDE_DIR phonenumbers/phonenumberutil.h
  HINTS ${CMAKE_SOURCE_DIR}/.deps/libphonenumber/usr/include)
find_library(PhoneNumber_LIBRARY NAMES phonenumber libphonenumber.so.8)
find_package(Protobuf QUIET)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PhoneNumber REQUIRED_VARS PhoneNumber_INCLUDE_DIR PhoneNumber_LIBRARY)
if(PhoneNumber_FOUND AND NOT TARGET PhoneNumber::PhoneNumber)
  add_library(PhoneNumber::PhoneNumber UNKNOWN IMPORTED)
  set_target_properties(PhoneNumber::PhoneNumber PROPERTIES
    IMPORTED_LOCATION ${PhoneNumber_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${PhoneNumber_INCLUDE_DIR})
  if(Protobuf_FOUND)
    set_property(TARGET PhoneNumber::PhoneNumber APPEND PROPERTY INTERFACE_LINK_LIBRARIES protobuf::libprotobuf)
  endif()
endif()
