// thread_count.hpp: how many times this binary has called pthread_create
// (see thread_count.cpp).
#pragma once

namespace gort::test {
long pthread_creates();
}
