package mail

import "syscall"

const (
	syscallECONNREFUSED = syscall.ECONNREFUSED
	syscallECONNRESET   = syscall.ECONNRESET
	syscallEPIPE        = syscall.EPIPE
)
