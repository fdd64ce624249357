/* gort.h: gort's C API, for C code (C99) that calls back into a program
 * running gort::run, from any thread: a thread gort did not create (a C
 * library's worker), or one of gort's own inside gort::blocking.
 *
 *   static void work(void* arg) { ... }      (runs as a goroutine)
 *   if (gort_callback(work, arg) != GORT_OK) { no runtime running }
 */
#ifndef GORT_GORT_H
#define GORT_GORT_H

#ifdef __cplusplus
extern "C" {
#endif

/* gort_callback's results. */
#define GORT_OK 0
/* No gort::run is active (or its main goroutine has already returned). */
#define GORT_ENORUNTIME 1

/* gort_callback: run fn(arg) as a goroutine of the active run and return
 * when it has returned. fn may start goroutines, use channels, sleep and
 * call gort::blocking (which may call back again). Returns GORT_OK when fn
 * ran, GORT_ENORUNTIME when no run is active (fn did not run). fn must not
 * be NULL (fatal). Must not be called from a signal handler. */
int gort_callback(void (*fn)(void*), void* arg);

#ifdef __cplusplus
}
#endif

#endif
