/*
 * Prints the event table a falcosecurity libs build holds (libsinsp's
 * g_event_info) as TSV, one event id a line:
 *   id  name  category  flags  nparams  name:type:format[:info]...
 * where info is a flag table (NAME=value,...), dirfd=N (FSRELPATH) or
 * dyn=type/format,... (PT_DYN). The last line is "END <PPM_EVENT_MAX>".
 *
 * Why: a file is right when the reader takes it, so the `stratoshark` layout
 * is the table of the libs that Stratoshark, Wireshark 4.6 and sysdig 0.41
 * link, read from that very library rather than from a copy of its sources.
 * tests/stratoshark.rs compiles this and runs it in the Debian sid root to
 * check formats/tools/libs-0.23.2-events.tsv against the installed library.
 *
 *   cc -o libs_event_table libs_event_table.c -ldl && ./libs_event_table [libsinsp.so.0.23]
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ppm_events_public.h (libs 0.23): not packed; PPM_MAX_EVENT_PARAMS = 32. */
struct ppm_param_info {
	char name[32];
	int type;
	int fmt;
	const void *info;
	uint8_t ninfo;
};
struct ppm_event_info {
	char name[32];
	int category;
	int flags;
	uint32_t nparams;
	struct ppm_param_info params[32];
};
struct ppm_name_value {
	const char *name;
	uint32_t value;
};

enum { PT_DYN = 27, PT_FLAGS8 = 28, PT_FLAGS32 = 30, PT_MODE = 42, PT_FSRELPATH = 43, PT_ENUMFLAGS8 = 44, PT_ENUMFLAGS32 = 46 };

int main(int argc, char **argv) {
	void *lib = dlopen(argc > 1 ? argv[1] : "libsinsp.so.0.23", RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "libs_event_table: %s\n", dlerror());
		return 1;
	}
	const struct ppm_event_info *table = dlsym(lib, "g_event_info");
	if (!table) {
		fprintf(stderr, "libs_event_table: no g_event_info in the library\n");
		return 1;
	}
	for (int i = 0; i < 2000; i++) {
		const struct ppm_event_info *e = &table[i];
		/* The array ends where the next object starts: no name, or garbage. */
		if (e->name[0] == 0 || !memchr(e->name, 0, sizeof e->name) || e->nparams > 32) {
			printf("END\t%d\n", i);
			return 0;
		}
		printf("%d\t%s\t%d\t%d\t%u", i, e->name, e->category, e->flags, e->nparams);
		for (uint32_t j = 0; j < e->nparams; j++) {
			const struct ppm_param_info *p = &e->params[j];
			printf("\t%s:%d:%d", p->name, p->type, p->fmt);
			if (p->type == PT_FSRELPATH) {
				printf(":dirfd=%d", (int)(intptr_t)p->info);
			} else if ((p->type >= PT_FLAGS8 && p->type <= PT_FLAGS32) ||
			           (p->type >= PT_ENUMFLAGS8 && p->type <= PT_ENUMFLAGS32) || p->type == PT_MODE) {
				const struct ppm_name_value *f = p->info;
				printf(":");
				for (int k = 0; f && f[k].name; k++)
					printf("%s%s=%u", k ? "," : "", f[k].name, f[k].value);
			} else if (p->type == PT_DYN) {
				const struct ppm_param_info *d = p->info;
				printf(":dyn=");
				for (int k = 0; d && k < p->ninfo; k++)
					printf("%s%d/%d", k ? "," : "", d[k].type, d[k].fmt);
			}
		}
		printf("\n");
	}
	fprintf(stderr, "libs_event_table: no end of the table found\n");
	return 1;
}
