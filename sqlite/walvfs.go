package sqlite

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// walVFS names the VFS the writer's connection opens the database with.
// It is SQLite's unix VFS except for the WAL file, where the writes of a
// commit, which SQLite makes two for every page it changed (the frame's
// 24-byte header, then the page), one after the other, go to the file in
// one pwrite. On this kind of machine a system call costs more than
// copying a page, so the writer, which every write request waits for,
// spends less of its time in the kernel. What reaches the file by the
// time COMMIT returns is unchanged: the run of writes is held only until
// the page of a commit frame (the last write of a commit) or until any
// other call on the file (a read, a sync, a truncate, a size, a file
// control, a close, or a write elsewhere), which writes it first. No one
// else reads frames a commit has not made visible.
const walVFS = "kassa-wal"

// The C-level signatures of the unix VFS's methods that walVFS wraps.
type (
	xOpenFunc        func(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32
	xCloseFunc       func(tls *libc.TLS, pFile uintptr) int32
	xReadWriteFunc   func(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32
	xTruncateFunc    func(tls *libc.TLS, pFile uintptr, size int64) int32
	xSyncFunc        func(tls *libc.TLS, pFile uintptr, flags int32) int32
	xFileSizeFunc    func(tls *libc.TLS, pFile, pSize uintptr) int32
	xFileControlFunc func(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32
)

// cfunc turns a C function pointer into the Go function it is in this
// translation of SQLite; setCFunc stores f as one.
func cfunc[F any](p uintptr) F { return *(*F)(unsafe.Pointer(&p)) }

func setCFunc[F any](p *uintptr, f F) { *(*F)(unsafe.Pointer(p)) = f }

// at is the C memory at address p: SQLite's structs and buffers live
// outside Go's heap, and are reached by address.
func at[T any](p uintptr) *T { return (*T)(*(*unsafe.Pointer)(unsafe.Pointer(&p))) }

// walFrameHeader is the size of a WAL frame's header.
const walFrameHeader = 24

// walRun is the most a run of writes holds, under the 128 KiB the unix
// VFS writes in one call (it takes a write's size modulo 2¹⁷): a commit
// of more pages than fit is written in several calls. A variable so that
// the tests can end runs at every frame.
var walRun = 120 << 10

// frameWriter is what walVFS keeps of an open WAL file: the run of writes
// it holds back (in C memory, as the unix VFS writes from it) and where it
// goes in the file.
type frameWriter struct {
	run    uintptr // size bytes
	size   int     // walRun when the file was opened
	off    int64   // where the run goes
	n      int     // bytes held
	commit bool    // the last write was a commit frame's header
}

var (
	registerOnce sync.Once
	registerErr  error

	// unixOpen is the unix VFS's xOpen; unixWAL the methods it gives a
	// WAL file (at unixWALAt), and walMethods (in C memory, as SQLite
	// holds it) those with the calls below in their place.
	unixOpen   uintptr
	methodsMu  sync.Mutex
	unixWALAt  uintptr
	unixWAL    sqlite3.Tsqlite3_io_methods
	walMethods uintptr

	filesMu sync.Mutex
	files   = map[uintptr]*frameWriter{}

	// written counts the writes walVFS makes to WAL files (the tests').
	written atomic.Int64
)

// registerWALVFS registers walVFS with SQLite, once.
func registerWALVFS() error {
	registerOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		unix := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if unix == 0 {
			registerErr = fmt.Errorf("sqlite: no default VFS")
			return
		}
		name, err := libc.CString(walVFS)
		vfs := libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
		walMethods = libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		if err != nil || vfs == 0 || walMethods == 0 {
			registerErr = fmt.Errorf("sqlite: no memory for VFS %s", walVFS)
			return
		}
		// SQLite keeps the VFS, its name and the methods for good.
		v := at[sqlite3.Tsqlite3_vfs](vfs)
		*v = *at[sqlite3.Tsqlite3_vfs](unix)
		v.FzName, v.FpNext = name, 0
		unixOpen = v.FxOpen
		setCFunc(&v.FxOpen, xOpenFunc(walOpen))
		if rc := sqlite3.Xsqlite3_vfs_register(tls, vfs, 0); rc != sqlite3.SQLITE_OK {
			registerErr = fmt.Errorf("sqlite: register VFS %s: code %d", walVFS, rc)
		}
	})
	return registerErr
}

// walOpen opens a file as the unix VFS does and, for a WAL file, puts
// the methods below in front of the unix ones.
func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	rc := cfunc[xOpenFunc](unixOpen)(tls, pVfs, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	f := at[sqlite3.Tsqlite3_file](pFile)
	if f.FpMethods == 0 {
		return rc
	}
	methodsMu.Lock()
	if unixWALAt == 0 {
		unixWALAt, unixWAL = f.FpMethods, *at[sqlite3.Tsqlite3_io_methods](f.FpMethods)
		m := at[sqlite3.Tsqlite3_io_methods](walMethods)
		*m = unixWAL
		setCFunc(&m.FxClose, xCloseFunc(walClose))
		setCFunc(&m.FxRead, xReadWriteFunc(walRead))
		setCFunc(&m.FxWrite, xReadWriteFunc(walWrite))
		setCFunc(&m.FxTruncate, xTruncateFunc(walTruncate))
		setCFunc(&m.FxSync, xSyncFunc(walSync))
		setCFunc(&m.FxFileSize, xFileSizeFunc(walFileSize))
		setCFunc(&m.FxFileControl, xFileControlFunc(walFileControl))
	}
	same := f.FpMethods == unixWALAt
	methodsMu.Unlock()
	if !same {
		return rc // methods other than the first WAL file's: left alone
	}
	size := walRun
	run := libc.Xmalloc(tls, uint64(size))
	if run == 0 {
		return rc // no memory to spare: the file is written as unix would
	}
	filesMu.Lock()
	files[pFile] = &frameWriter{run: run, size: size}
	filesMu.Unlock()
	f.FpMethods = walMethods
	return rc
}

func fileOf(pFile uintptr) *frameWriter {
	filesMu.Lock()
	defer filesMu.Unlock()
	return files[pFile]
}

// flush writes the run held, if any.
func (w *frameWriter) flush(tls *libc.TLS, pFile uintptr) int32 {
	n := w.n
	w.n = 0
	if n == 0 {
		return sqlite3.SQLITE_OK
	}
	written.Add(1)
	return cfunc[xReadWriteFunc](unixWAL.FxWrite)(tls, pFile, w.run, int32(n), w.off)
}

// walWrite adds a write to the run held when it continues it, and
// otherwise writes the run and starts a new one with it. The write after
// a commit frame's header, its page, ends the run: it is written at once,
// whether it joined the run or started one.
func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	w := fileOf(pFile)
	ends := w.commit
	w.commit = false
	if w.n == 0 || iOfst != w.off+int64(w.n) || w.n+int(iAmt) > w.size {
		if rc := w.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
		if int(iAmt) > w.size {
			written.Add(1)
			return cfunc[xReadWriteFunc](unixWAL.FxWrite)(tls, pFile, zBuf, iAmt, iOfst)
		}
		w.off = iOfst
	}
	libc.Xmemcpy(tls, w.run+uintptr(w.n), zBuf, uint64(iAmt))
	w.n += int(iAmt)
	if ends {
		return w.flush(tls, pFile)
	}
	if iAmt == walFrameHeader {
		// A frame header's second big-endian word is the database's size
		// in pages after the commit the frame ends, or 0 if it ends none.
		h := unsafe.Slice(at[byte](zBuf), walFrameHeader)
		w.commit = h[4]|h[5]|h[6]|h[7] != 0
	}
	return sqlite3.SQLITE_OK
}

// walRead, walTruncate, walSync, walFileSize and walFileControl write the
// run held first, then do as the unix VFS does.

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xReadWriteFunc](unixWAL.FxRead)(tls, pFile, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xTruncateFunc](unixWAL.FxTruncate)(tls, pFile, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xSyncFunc](unixWAL.FxSync)(tls, pFile, flags)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xFileSizeFunc](unixWAL.FxFileSize)(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xFileControlFunc](unixWAL.FxFileControl)(tls, pFile, op, pArg)
}

// walClose writes the run held, then closes the file.
func walClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := fileOf(pFile).flush(tls, pFile)
	filesMu.Lock()
	w := files[pFile]
	delete(files, pFile)
	filesMu.Unlock()
	libc.Xfree(tls, w.run)
	if crc := cfunc[xCloseFunc](unixWAL.FxClose)(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	return rc
}
