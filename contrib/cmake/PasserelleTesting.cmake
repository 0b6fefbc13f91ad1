# passerelle_unit_test(<name> SOURCES <files...> LIBS <targets...>)
# A GoogleTest executable whose tests are registered with CTest under the label "unit".
# Every unit test executable is also a dependency of the target `unit_tests`, so a build
# that only runs them (the sanitizer stage of contrib/test.sh) builds nothing else.
find_package(GTest REQUIRED)
include(GoogleTest)
if(NOT TARGET unit_tests)
  add_custom_target(unit_tests)
endif()

function(passerelle_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  if(PASSERELLE_UNIT_TESTS)
    add_executable(${name} ${T_SOURCES})
  else()
    # Declared (a folder's CMakeLists.txt may set its options) but neither built by default
    # nor registered with CTest.
    add_executable(${name} EXCLUDE_FROM_ALL ${T_SOURCES})
  endif()
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(PASSERELLE_UNITY_TESTS)
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
  endif()
  target_compile_definitions(${name} PRIVATE
    PASSERELLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    PASSERELLE_VECTORS_DIR="${PROJECT_SOURCE_DIR}/tests/vectors")
  if(PASSERELLE_UNIT_TESTS)
    gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
    add_dependencies(unit_tests ${name})
  endif()
endfunction()

# passerelle_fuzz_target(<name> SOURCES <files...> LIBS <targets...> [CORPUS <dir>])
function(passerelle_fuzz_target name)
  cmake_parse_arguments(T "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${T_LIBS})
endfunction()
