// expect_error: runs a callable and expects a staa::Error whose message contains every fragment
// (the op's name, what was expected, what came). Shared by the error tests. Layer: tests.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "tensor/error.h"

namespace staa::test {

template <typename F>
void expect_error(F&& f, std::initializer_list<const char*> fragments) {
  try {
    f();
    ADD_FAILURE() << "no error was raised";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* frag : fragments)
      EXPECT_NE(msg.find(frag), std::string::npos) << "\"" << msg << "\" lacks \"" << frag << "\"";
  }
}

}  // namespace staa::test
