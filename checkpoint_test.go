package tiki

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileCheckpointSurvivesARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state")
	cp, err := NewFileCheckpoint(dir)
	require.NoError(t, err)

	ack, err := cp.Load(ctx, "5a84289f-ed78-4285-9670-9a34508fb4a7")
	require.NoError(t, err)
	assert.Equal(t, "", ack, "no file: no ack id")

	require.NoError(t, cp.Save(ctx, "5a84289f-ed78-4285-9670-9a34508fb4a7", "ack-1"))
	require.NoError(t, cp.Save(ctx, "5a84289f-ed78-4285-9670-9a34508fb4a7", "ack-2"))
	require.NoError(t, cp.Save(ctx, "queue/with spaces", "ack-x"))

	// A new process reads what the last one saved.
	again, err := NewFileCheckpoint(dir)
	require.NoError(t, err)
	ack, err = again.Load(ctx, "5a84289f-ed78-4285-9670-9a34508fb4a7")
	require.NoError(t, err)
	assert.Equal(t, "ack-2", ack)
	ack, err = again.Load(ctx, "queue/with spaces")
	require.NoError(t, err)
	assert.Equal(t, "ack-x", ack)

	// One file per queue, no temporary file left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{
		"tiki-queue-5a84289f-ed78-4285-9670-9a34508fb4a7.json",
		"tiki-queue-x71756575652f7769746820737061636573.json",
	}, names)
	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestFileCheckpointRefusesWhatItCannotTrust(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cp, err := NewFileCheckpoint(dir)
	require.NoError(t, err)

	// A torn or foreign file is an error, not a silent "no ack id" (which
	// would only redeliver, but hides a broken disk).
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tiki-queue-q1.json"), []byte(`{"queue":"q1","ack_`), 0o600))
	_, err = cp.Load(ctx, "q1")
	assert.ErrorContains(t, err, "corrupt")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tiki-queue-q2.json"), []byte(`{"queue":"other","ack_id":"a"}`), 0o600))
	_, err = cp.Load(ctx, "q2")
	assert.ErrorContains(t, err, "belongs to queue")

	var ve *ValidationError
	assert.ErrorAs(t, cp.Save(ctx, "", "a"), &ve)
	_, err = cp.Load(ctx, "")
	assert.ErrorAs(t, err, &ve)
	_, err = NewFileCheckpoint("")
	assert.ErrorAs(t, err, &ve)

	var nilCtx context.Context
	assert.Error(t, cp.Save(nilCtx, "q1", "a"))
	_, err = cp.Load(nilCtx, "q1")
	assert.Error(t, err)
	done, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, cp.Save(done, "q1", "a"), context.Canceled)

	// A directory that cannot be created.
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = NewFileCheckpoint(filepath.Join(file, "sub"))
	assert.Error(t, err)
}

func TestMemoryCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var cp MemoryCheckpoint // the zero value is ready
	ack, err := cp.Load(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, "", ack)
	require.NoError(t, cp.Save(ctx, "q", "a1"))
	ack, err = cp.Load(ctx, "q")
	require.NoError(t, err)
	assert.Equal(t, "a1", ack)
	var nilCtx context.Context
	assert.Error(t, cp.Save(nilCtx, "q", "a2"))
}
