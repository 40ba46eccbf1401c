// Linux headers and GNU functions that Glibc's Swift module map leaves out.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/random.h>
#include <malloc.h>

extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static inline int anneal_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

#if defined(__x86_64__)
#include <cpuid.h>
// 1 when the CPU and the kernel support the x86-64-v3 level (AVX, AVX2, FMA, F16C, MOVBE,
// BMI1, BMI2, LZCNT; YMM state saved by the OS), the level the engine is compiled for.
static inline int anneal_cpu_has_x86_64_v3(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned leaf1 = (1u << 12) | (1u << 22) | (1u << 27) | (1u << 28) | (1u << 29);  // FMA MOVBE OSXSAVE AVX F16C
    if ((c & leaf1) != leaf1) return 0;
    unsigned xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6) != 6) return 0;  // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned leaf7 = (1u << 3) | (1u << 5) | (1u << 8);  // BMI1 AVX2 BMI2
    if ((b & leaf7) != leaf7) return 0;
    if (!__get_cpuid(0x80000001, &a, &b, &c, &d)) return 0;
    return (c >> 5) & 1;  // LZCNT
}
#endif
