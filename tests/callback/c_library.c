/* c_library.c: a C library, in C99, that calls back into gort: from
 * threads of its own (pthreads gort did not create) and from a call made
 * inside gort::blocking. Only <gort/gort.h> is used. */
#include <gort/gort.h>
#include <pthread.h>
#include <stdlib.h>

/* The work the callbacks do lives in the C++ test (it uses goroutines). */
extern int c_test_goroutine_work(int v);

struct job {
  int value;
  int result;
  int rc;
};

static void run_job(void* arg) {
  struct job* j = (struct job*)arg;
  j->result = c_test_goroutine_work(j->value);
}

struct worker {
  pthread_t thread;
  int first, count;
  long sum;
  int errors;
};

static void* worker_main(void* arg) {
  struct worker* w = (struct worker*)arg;
  for (int i = 0; i < w->count; ++i) {
    struct job j = {w->first + i, 0, 0};
    if (gort_callback(run_job, &j) != GORT_OK) {
      ++w->errors;
      continue;
    }
    w->sum += j.result;
  }
  return NULL;
}

/* c_library_workers: nthreads threads, each calling back count times with
 * values first + k; returns the sum of the results, or -1 on an error. */
long c_library_workers(int nthreads, int count) {
  struct worker* ws = calloc((size_t)nthreads, sizeof *ws);
  long sum = 0;
  int errors = 0;
  if (ws == NULL) return -1;
  for (int t = 0; t < nthreads; ++t) {
    ws[t].first = t * count;
    ws[t].count = count;
    pthread_create(&ws[t].thread, NULL, worker_main, &ws[t]);
  }
  for (int t = 0; t < nthreads; ++t) {
    pthread_join(ws[t].thread, NULL);
    sum += ws[t].sum;
    errors += ws[t].errors;
  }
  free(ws);
  return errors ? -1 : sum;
}

/* c_library_call: called inside gort::blocking; calls back once on the
 * calling thread (one of gort's). Returns the callback's result, or -1. */
int c_library_call(int v) {
  struct job j = {v, 0, 0};
  if (gort_callback(run_job, &j) != GORT_OK) return -1;
  return j.result;
}

/* c_library_try: the error code of a callback when no run is active. */
int c_library_try(void) {
  struct job j = {1, 0, 0};
  return gort_callback(run_job, &j);
}
