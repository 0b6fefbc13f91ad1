// Boost.JSON compiled into the test binary (header-only mode), once.
#include <boost/json/src.hpp>
