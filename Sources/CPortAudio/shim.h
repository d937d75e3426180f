#include <portaudio.h>
#include <alsa/asoundlib.h>

/* ALSA prints probe noise for every unusual PCM it meets while PortAudio scans devices.
   This handler keeps that noise off the user's terminal; PortAudio still reports real errors. */
static void hark_alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void hark_silence_alsa(void) { snd_lib_error_set_handler(hark_alsa_silent); }
