package mail

import "syscall"

const syscallECONNREFUSED = syscall.ECONNREFUSED
