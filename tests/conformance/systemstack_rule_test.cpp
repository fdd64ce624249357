// Promise (invariant 1): a GORT_SYSTEMSTACK function called from a goroutine
// stack ends the process with "fatal: <function> not on system stack"
// instead of touching allocator state.
#include "harness.hpp"

namespace gort::test {
namespace {

TEST(SystemstackRuleDeathTest, StackallocFromGoroutineIsFatal) {
  EXPECT_EXIT(
      {
        auto fn = [] { rt::stackalloc(4096); };
        Context ctx(fn);
        run(ctx);
      },
      ::testing::ExitedWithCode(2), "fatal: stackalloc not on system stack");
}

TEST(SystemstackRuleDeathTest, StackfreeFromGoroutineIsFatal) {
  EXPECT_EXIT(
      {
        g0();
        Stack s;
        rt::systemstack([&] { s = rt::stackalloc(4096); });
        auto fn = [s] { rt::stackfree(s); };
        Context ctx(fn);
        run(ctx);
      },
      ::testing::ExitedWithCode(2), "fatal: stackfree not on system stack");
}

TEST(SystemstackRule, AllowedOnG0AndThroughSystemstack) {
  g0();
  Stack s = rt::stackalloc(4096);  // g0: fine
  EXPECT_GT(s.hi, s.lo);
  rt::stackfree(s);
  bool ok = false;
  auto fn = [&] {
    rt::systemstack([&] {
      Stack t = rt::stackalloc(8192);
      rt::stackfree(t);
      ok = true;
    });
  };
  Context ctx(fn);
  run(ctx);
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace gort::test
