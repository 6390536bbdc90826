package app

// JobCount is how many jobs j holds, finished or not, without sweeping.
func JobCount(j *Jobs) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.jobs)
}

// WordList is the word list of StyleWords passwords.
var WordList = wordList
