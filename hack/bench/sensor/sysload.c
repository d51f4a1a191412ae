// sysload: the syscall-heavy workload of the sensor's overhead benchmark
// (hack/bench/sensor.sh). "open N [PATH]" opens and closes a file N times
// (PATH, default /tmp/sysload.dat; a relative PATH is in /tmp); "exec N"
// forks and executes itself ("noop") N times. It prints the wall time in
// seconds.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "noop") == 0)
		return 0;
	if (argc != 3 && !(argc == 4 && strcmp(argv[1], "open") == 0)) {
		fprintf(stderr, "usage: sysload open N [PATH] | exec N\n");
		return 2;
	}
	long n = atol(argv[2]);
	double start = now();
	if (strcmp(argv[1], "open") == 0) {
		const char *path = argc == 4 ? argv[3] : "/tmp/sysload.dat";
		if (chdir("/tmp") != 0) {
			perror("/tmp");
			return 1;
		}
		int fd = open(path, O_CREAT | O_WRONLY, 0600);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		close(fd);
		for (long i = 0; i < n; i++) {
			fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				perror("openat");
				return 1;
			}
			close(fd);
		}
	} else if (strcmp(argv[1], "exec") == 0) {
		for (long i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				execl("/proc/self/exe", "sysload", "noop", (char *)NULL);
				_exit(127);
			}
			int status;
			waitpid(pid, &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "child failed\n");
				return 1;
			}
		}
	} else {
		fprintf(stderr, "usage: sysload open N [PATH] | exec N\n");
		return 2;
	}
	printf("%.6f\n", now() - start);
	return 0;
}
