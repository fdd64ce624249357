/* sensors.h: a small C library (C99) whose worker threads deliver
 * readings by calling back into a gort program through gort_callback. */
#ifndef SENSORS_H
#define SENSORS_H

#ifdef __cplusplus
extern "C" {
#endif

struct reading {
  int sensor; /* 0 .. nsensors-1 */
  int seq;    /* 0 .. nreadings-1 */
  long value;
};

/* sensors_start: start nsensors threads, each delivering nreadings
 * readings: deliver(r, user) runs as a goroutine of the running gort
 * program (through gort_callback), on the sensor's own thread. Returns 0,
 * or -1 if a thread could not be started. */
int sensors_start(int nsensors, int nreadings, void (*deliver)(const struct reading* r, void* user),
                  void* user);
/* sensors_join: wait for every sensor thread to finish; returns the number
 * of callbacks gort refused (GORT_ENORUNTIME: no run active). */
int sensors_join(void);

#ifdef __cplusplus
}
#endif

#endif
