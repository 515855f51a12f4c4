/* Makes the calls strace prints in its rarer forms, for the parser corpus:
 * - i386 calls through int 0x80 from a 64-bit process ("runs in 32 bit mode");
 * - an x32 call and an x32 call to a 64-bit-only number (strace: "rt_sigaction#64");
 * - numbers strace 6.1 has no name for: fchmodat2 (452, Linux 6.6) and mseal (462, Linux 6.10),
 *   and 999, which no kernel has (strace: "syscall_0x3e7").
 * Needs no libc beyond startup; every call fails harmlessly or returns a pid or a time. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

static long int80(long number, long arg) {
  long result;
  __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(arg) : "memory");
  return result;
}

static long syscall64(long number, long arg) {
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(arg) : "rcx", "r11", "memory");
  return result;
}

int main(void) {
  int80(13, 0);                          /* i386 time(NULL) */
  int80(20, 0);                          /* i386 getpid() */
  syscall64(39, 0);                      /* x86_64 getpid() */
  syscall64(39 | 0x40000000L, 0);        /* x32 getpid(): ENOSYS without CONFIG_X86_X32_ABI */
  syscall64(13 | 0x40000000L, 0);        /* x32, 64-bit-only number: rt_sigaction#64 */
  syscall(452, -1, "", 0, 0);            /* fchmodat2(-1, "", 0, 0): EBADF */
  syscall(462, 0, 0, 0);                 /* mseal(NULL, 0, 0) */
  syscall(999, 0);                       /* no such call: ENOSYS */
  puts("modes: done");
  return 0;
}
