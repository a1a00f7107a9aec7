/* line_writer.c - writes BYTES of numbered 100-byte lines to stdout as fast as it can (the
 * output-stream benchmark's producer). Usage: line_writer BYTES */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[64 * 100];
	unsigned long long total = argc > 1 ? strtoull(argv[1], NULL, 10) : 0, written = 0, line = 0;

	while (written < total) {
		size_t n = 0;
		while (n + 100 <= sizeof(buf) && written + n + 100 <= total) {
			snprintf(buf + n, 101, "%012llu %086d", line++, 0);
			buf[n + 99] = '\n';
			n += 100;
		}
		if (n == 0)
			break;
		for (size_t off = 0; off < n;) {
			ssize_t w = write(STDOUT_FILENO, buf + off, n - off);
			if (w <= 0)
				return 1;
			off += (size_t)w;
		}
		written += n;
	}
	return 0;
}
