/* sensors.c: the C library. Its threads know nothing about goroutines:
 * they are plain pthreads, and each reading goes into the gort program with
 * gort_callback (include/gort/gort.h), which runs the delivery function as a
 * goroutine on this thread (borrowing one of gort's spare Ms) and returns
 * when it has returned. */
#include "sensors.h"

#include <pthread.h>
#include <stdlib.h>

#include <gort/gort.h>

#define MAX_SENSORS 16

struct sensor {
  pthread_t thread;
  int id, nreadings, refused;
  void (*deliver)(const struct reading*, void*);
  void* user;
};

static struct sensor sensors[MAX_SENSORS];
static int nsensors;

/* The goroutine's side of one callback: gort_callback's fn takes one
 * pointer, so the reading travels with its destination. */
struct delivery {
  struct sensor* s;
  struct reading r;
};

static void deliver_in_goroutine(void* arg) {
  struct delivery* d = arg;
  d->s->deliver(&d->r, d->s->user);
}

static void* sensor_main(void* arg) {
  struct sensor* s = arg;
  for (int i = 0; i < s->nreadings; ++i) {
    struct delivery d = {s, {s->id, i, (long)s->id * 1000 + i}};
    if (gort_callback(deliver_in_goroutine, &d) != GORT_OK) s->refused++;
  }
  return NULL;
}

int sensors_start(int n, int nreadings, void (*deliver)(const struct reading*, void*), void* user) {
  if (n > MAX_SENSORS) return -1;
  for (nsensors = 0; nsensors < n; ++nsensors) {
    struct sensor* s = &sensors[nsensors];
    s->id = nsensors;
    s->nreadings = nreadings;
    s->refused = 0;
    s->deliver = deliver;
    s->user = user;
    if (pthread_create(&s->thread, NULL, sensor_main, s) != 0) return -1;
  }
  return 0;
}

int sensors_join(void) {
  int refused = 0;
  for (int i = 0; i < nsensors; ++i) {
    pthread_join(sensors[i].thread, NULL);
    refused += sensors[i].refused;
  }
  nsensors = 0;
  return refused;
}
