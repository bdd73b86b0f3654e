/*
 * The vDSO's view of its data page ([vvar], mapped read-only just below
 * it).  The kernel writes the page under a sequence count (odd while it
 * writes); the layout comes from vdso/layout.rs through the generated
 * vvar_layout.h, and the struct below is checked against it.
 */
#ifndef FERRUX_VDSO_VVAR_H
#define FERRUX_VDSO_VVAR_H

#include <stddef.h>
#include <stdint.h>

#include "vvar_layout.h"

struct vvar {
	uint32_t seq;
	uint32_t clock_mode;
	uint64_t tsc_base;
	uint64_t mult;
	uint32_t shift;
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
	uint32_t pad;
	uint64_t monotonic_base_ns;
	uint64_t realtime_base_ns;
	uint64_t tai_offset_ns;
	uint64_t coarse_monotonic_ns;
	uint64_t coarse_realtime_ns;
	uint64_t hres_resolution_ns;
	uint64_t coarse_resolution_ns;
	int64_t timens_monotonic_ns;
	int64_t timens_boottime_ns;
};

_Static_assert(offsetof(struct vvar, seq) == VVAR_SEQ, "seq");
_Static_assert(offsetof(struct vvar, clock_mode) == VVAR_CLOCK_MODE, "mode");
_Static_assert(offsetof(struct vvar, tsc_base) == VVAR_TSC_BASE, "base");
_Static_assert(offsetof(struct vvar, mult) == VVAR_MULT, "mult");
_Static_assert(offsetof(struct vvar, shift) == VVAR_SHIFT, "shift");
_Static_assert(offsetof(struct vvar, tz_minuteswest) == VVAR_TZ_MINUTESWEST,
	       "tz_minuteswest");
_Static_assert(offsetof(struct vvar, tz_dsttime) == VVAR_TZ_DSTTIME,
	       "tz_dsttime");
_Static_assert(offsetof(struct vvar, monotonic_base_ns) ==
		       VVAR_MONOTONIC_BASE_NS,
	       "monotonic");
_Static_assert(offsetof(struct vvar, realtime_base_ns) ==
		       VVAR_REALTIME_BASE_NS,
	       "realtime");
_Static_assert(offsetof(struct vvar, tai_offset_ns) == VVAR_TAI_OFFSET_NS,
	       "tai");
_Static_assert(offsetof(struct vvar, coarse_monotonic_ns) ==
		       VVAR_COARSE_MONOTONIC_NS,
	       "coarse monotonic");
_Static_assert(offsetof(struct vvar, coarse_realtime_ns) ==
		       VVAR_COARSE_REALTIME_NS,
	       "coarse realtime");
_Static_assert(offsetof(struct vvar, hres_resolution_ns) ==
		       VVAR_HRES_RESOLUTION_NS,
	       "hres resolution");
_Static_assert(offsetof(struct vvar, coarse_resolution_ns) ==
		       VVAR_COARSE_RESOLUTION_NS,
	       "coarse resolution");
_Static_assert(offsetof(struct vvar, timens_monotonic_ns) ==
		       VVAR_TIMENS_MONOTONIC_NS,
	       "timens monotonic");
_Static_assert(offsetof(struct vvar, timens_boottime_ns) ==
		       VVAR_TIMENS_BOOTTIME_NS,
	       "timens boottime");
_Static_assert(sizeof(struct vvar) == VVAR_SIZE, "size");

#endif
