/* The main() of every fuzz target built without libFuzzer: runs each file
 * named on the command line (or each file in a named directory) through
 * LLVMFuzzerTestOneInput once, so the seed corpora run as unit tests. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int
run_path(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char full[4096];
	int rc = 0;

	if (d == NULL)
		return run_file(path);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (run_file(full) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (run_path(argv[i]) < 0)
			rc = 1;
	}
	return rc;
}
