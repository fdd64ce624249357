// plugin.cpp: a shared object for the unwinder's tests (native builds):
// its frames and symbols come from another loaded object, found through
// its own .eh_frame_hdr and symbol table.
extern "C" {
volatile int unw_plugin_sink;
__attribute__((noinline, visibility("default"))) void unw_plugin_fn(void (*cb)()) {
  cb();
  unw_plugin_sink = unw_plugin_sink + 1;
}
}
