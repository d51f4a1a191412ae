package syscall

// Falco's encoding of open flags (libs' PPM_O_*, ppm_events_public.h): its
// drivers translate the kernel's flags into it, and evt.rawarg.flags,
// evt.is_open_read and the other open fields read it. A sensor fills
// Arg.Num of an open event's flags in this encoding.
const (
	OpenRdonly    = 1 << 0
	OpenWronly    = 1 << 1
	OpenRdwr      = OpenRdonly | OpenWronly
	OpenCreat     = 1 << 2
	OpenAppend    = 1 << 3
	OpenDsync     = 1 << 4
	OpenExcl      = 1 << 5
	OpenNonblock  = 1 << 6
	OpenSync      = 1 << 7
	OpenTrunc     = 1 << 8
	OpenDirect    = 1 << 9
	OpenDirectory = 1 << 10
	OpenLargefile = 1 << 11
	OpenCloexec   = 1 << 12
	OpenTmpfile   = 1 << 13
	// OpenFCreated says the call created the file.
	OpenFCreated = 1 << 14
)
