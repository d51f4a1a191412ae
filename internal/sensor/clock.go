package sensor

import (
	"time"

	"golang.org/x/sys/unix"
)

// clock converts the probe's CLOCK_BOOTTIME nanoseconds into wall-clock
// nanoseconds since the epoch.
type clock struct{ offset int64 }

func newClock() (clock, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return clock{}, err
	}
	return clock{offset: time.Now().UnixNano() - ts.Nano()}, nil
}

func (c clock) wall(boot uint64) int64 {
	if boot == 0 {
		return 0
	}
	return int64(boot) + c.offset
}
