package migrations

// The statements Migrate locks and unlocks with, for the tests that hold the lock themselves.
var (
	LockStatement   = lockSchema
	UnlockStatement = unlockSchema
	LockClass       = advisoryLockClass
)
