package sensor

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
)

// users resolves user and group ids with the database of the root the
// process runs in (a container's /etc/passwd, or the node's), as Falco
// does. Databases are read once per container (and once for the node).
type users struct {
	proc string
	// dbs by container full id; "" is the node's.
	dbs map[string]*userDB
}

type userDB struct {
	users  map[int64]syscall.User
	groups map[int64]string
	// read is when the database was read; an empty one (the process was
	// gone, or its root unreadable) is read again after retryUsers.
	read time.Time
}

const retryUsers = 5 * time.Second

// maxUserDB bounds what is read of a passwd or group file.
const maxUserDB = 1 << 20

func newUsers(proc string) *users { return &users{proc: proc, dbs: map[string]*userDB{}} }

func (u *users) db(t *syscall.Thread) *userDB {
	// The process's own root, the node's or its container's (reading it
	// needs ptrace access to the process: CAP_SYS_PTRACE); a process that
	// is already gone lends its parent's, when in the same container.
	key := ""
	if t.Container != nil {
		key = t.Container.FullID
	}
	if db := u.dbs[key]; db != nil && (len(db.users) > 0 || time.Since(db.read) < retryUsers) {
		return db
	}
	db := &userDB{users: map[int64]syscall.User{}, groups: map[int64]string{}, read: time.Now()}
	root := ""
	pids := []int64{t.PID, t.PPID}
	for p := t.Parent; p != nil && len(pids) < 8; p = p.Parent {
		pids = append(pids, p.PID, p.PPID)
	}
	for _, pid := range pids {
		r := u.proc + "/" + strconv.FormatInt(pid, 10) + "/root"
		if _, err := os.Stat(r + "/etc/passwd"); err == nil {
			root = r
			break
		}
	}
	if root == "" {
		return db // not cached: the next process of this root may lend it
	}
	readColon(root+"/etc/passwd", func(f []string) {
		if len(f) >= 7 {
			id, err := strconv.ParseInt(f[2], 10, 64)
			if err == nil {
				if _, dup := db.users[id]; !dup {
					db.users[id] = syscall.User{UID: id, Name: f[0], HomeDir: f[5], Shell: f[6]}
				}
			}
		}
	})
	readColon(root+"/etc/group", func(f []string) {
		if len(f) >= 3 {
			if id, err := strconv.ParseInt(f[2], 10, 64); err == nil {
				if _, dup := db.groups[id]; !dup {
					db.groups[id] = f[0]
				}
			}
		}
	})
	u.dbs[key] = db
	return db
}

func readColon(file string, fn func([]string)) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, maxUserDB))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}

// user returns the user uid is in t's root; a uid the database does not
// name has no name (Falco's <NA>). uid -1 is an unset login uid.
func (u *users) user(t *syscall.Thread, uid int64) syscall.User {
	if uid < 0 {
		return syscall.User{UID: uid}
	}
	if usr, ok := u.db(t).users[uid]; ok {
		return usr
	}
	return syscall.User{UID: uid}
}

func (u *users) group(t *syscall.Thread, gid int64) syscall.Group {
	return syscall.Group{GID: gid, Name: u.db(t).groups[gid]}
}
