// Linux headers and GNU functions that Glibc's Swift module map leaves out.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/random.h>

extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static inline int anneal_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
