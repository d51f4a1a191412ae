// Package backend picks a store implementation from a database URL:
// sqlite:///abs/path.db, sqlite://relative.db, postgres:// or
// postgresql://. Only cmd/ should import it (it links every backend).
package backend
