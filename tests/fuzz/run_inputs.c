/* run_inputs.c - runs a fuzz target on given files, without libFuzzer: `make test` replays the
 * seed corpus and every regression input through each target with the normal compiler (and
 * under ASan/UBSan with SANITIZE=1), so the harnesses always build and old crashes stay fixed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (size == cap) {
			uint8_t *grown = realloc(data, cap = cap ? cap * 2 : 4096);
			if (grown == NULL) {
				free(data);
				fclose(fp);
				return -1;
			}
			data = grown;
		}
		n = fread(data + size, 1, cap - size, fp);
		size += n;
	} while (n > 0);
	fclose(fp);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++)
		failed |= run_file(argv[i]) < 0;
	printf("%d inputs replayed\n", argc - 1);
	return failed;
}
