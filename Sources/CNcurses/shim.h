// ncurses (Debian: libncurses-dev). Its globals (stdscr, LINES, COLS) and macros are reached
// through these functions: Swift 6 refuses unsynchronised access to C globals, and the terminal
// is only touched from the UI's own thread.
#include <locale.h>
#include <ncurses.h>

static inline WINDOW *hark_screen(void) { return stdscr; }
static inline int hark_lines(void) { return LINES; }
static inline int hark_columns(void) { return COLS; }
static inline int hark_color_pair(int n) { return COLOR_PAIR(n); }
static inline int hark_attr_bold(void) { return A_BOLD; }
static inline int hark_attr_reverse(void) { return A_REVERSE; }
static inline int hark_attr_dim(void) { return A_DIM; }
static inline int hark_key_resize(void) { return KEY_RESIZE; }
static inline void hark_set_locale(void) { setlocale(LC_ALL, ""); }

#if defined(__linux__)
#include <sys/prctl.h>
/// Names the calling thread (shown by top and in /proc), so the UI thread's CPU can be measured.
static inline void hark_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
#else
static inline void hark_name_thread(const char *name) { (void)name; }
#endif
