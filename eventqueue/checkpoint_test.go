package eventqueue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
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

// A file that is empty, torn, garbage or another queue's is an error
// matching ErrCorruptCheckpoint that names the file and the way out, not
// a silent "no ack id".
func TestFileCheckpointRefusesWhatItCannotTrust(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cp, err := NewFileCheckpoint(dir)
	require.NoError(t, err)
	for content, problem := range map[string]string{
		``:                               "is empty",
		"  \n":                           "is empty",
		`{`:                              "is not a checkpoint (unexpected end of JSON input)",
		`{"queue":"q1","ack_`:            "is not a checkpoint",
		"\x00\x01garbage":                "is not a checkpoint",
		`{"queue":"other","ack_id":"a"}`: `belongs to queue "other", not "q1"`,
	} {
		file := filepath.Join(dir, "tiki-queue-q1.json")
		require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
		_, err = cp.Load(ctx, "q1")
		require.ErrorIs(t, err, ErrCorruptCheckpoint, "%q", content)
		assert.ErrorContains(t, err, "the file "+file+" "+problem)
		assert.ErrorContains(t, err, "delete it to start again from Tiki's oldest unacknowledged batch")
	}

	var ve *tiki.ValidationError
	assert.ErrorAs(t, cp.Save(ctx, "", "a"), &ve)
	_, err = cp.Load(ctx, "")
	assert.ErrorAs(t, err, &ve)
	_, err = NewFileCheckpoint("")
	assert.ErrorAs(t, err, &ve)

	var nilCtx context.Context
	assert.ErrorIs(t, cp.Save(nilCtx, "q1", "a"), tiki.ErrNilContext)
	_, err = cp.Load(nilCtx, "q1")
	assert.ErrorIs(t, err, tiki.ErrNilContext)
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
	assert.ErrorIs(t, cp.Save(nilCtx, "q", "a2"), tiki.ErrNilContext)
	_, err = cp.Load(nilCtx, "q")
	assert.ErrorIs(t, err, tiki.ErrNilContext)
}

// A consumer whose checkpoint file cannot be trusted does not stall: Run
// returns at once with the error, naming the file, and pulls nothing; the
// error is logged. Once the file is deleted, the consumer starts from
// Tiki's oldest unacknowledged batch.
func TestCorruptCheckpointFileMakesRunReturnAtOnce(t *testing.T) {
	t.Parallel()
	for _, content := range []string{`{`, ``, "garbage\n"} {
		t.Run(content, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cp, err := NewFileCheckpoint(dir)
			require.NoError(t, err)
			file := filepath.Join(dir, "tiki-queue-"+testQueue+".json")
			require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
			q := newWireQueue(10)
			q.add(orderEvent(0))
			for _, lease := range []bool{false, true} {
				opts := []Option{WithCheckpoint(cp)}
				if lease {
					fenced := &fencedFile{FileCheckpoint: cp}
					opts = []Option{WithCheckpoint(fenced), WithLease(&memLease{})}
				}
				r := newRig(t, q, opts...)
				r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
				err = r.run(context.Background())
				require.ErrorIs(t, err, ErrCorruptCheckpoint)
				assert.ErrorContains(t, err, file)
				assert.ErrorContains(t, err, "delete it")
				assert.Empty(t, q.sentAcks(), "nothing pulled")
				assert.Empty(t, r.waits, "no retry")
				assert.Contains(t, r.logs.String(), "level=ERROR")
			}

			require.NoError(t, os.Remove(file))
			r := newRig(t, q, WithCheckpoint(cp))
			r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
			require.NoError(t, r.runUntilDrained())
			assert.Equal(t, []string{"", "ack-1"}, q.sentAcks())
		})
	}
}

// fencedFile is a FileCheckpoint that passes for a FencedCheckpoint, to
// run a leased consumer from a file.
type fencedFile struct{ *FileCheckpoint }

func (f *fencedFile) SaveFenced(ctx context.Context, queue, ackID string, _ int64) error {
	return f.Save(ctx, queue, ackID)
}

// An ack id no pull could send is a checkpoint that cannot be trusted too.
func TestCheckpointHoldingAnInvalidAckID(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	r := newRig(t, q)
	require.NoError(t, r.cp.Save(context.Background(), testQueue, " ack-1"))
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	err := r.run(context.Background())
	require.ErrorIs(t, err, ErrCorruptCheckpoint)
	assert.Empty(t, q.sentAcks())
}

// A checkpoint that fails to answer is retried, reported each time.
func TestCheckpointLoadFailuresAreRetried(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0))
	flaky := &flakyCheckpoint{Checkpoint: NewMemoryCheckpoint(), loadFailures: 2}
	r := newRig(t, q, WithCheckpoint(flaky))
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	require.NoError(t, r.runUntilDrained())
	errs := r.errors()
	require.Len(t, errs, 2)
	assert.ErrorContains(t, errs[0], "loading the checkpoint of queue q1: disk busy")
	assert.True(t, q.drained())
}

type flakyCheckpoint struct {
	Checkpoint
	loadFailures int
}

func (f *flakyCheckpoint) Load(ctx context.Context, queue string) (string, error) {
	if f.loadFailures > 0 {
		f.loadFailures--
		return "", errors.New("disk busy")
	}
	return f.Checkpoint.Load(ctx, queue)
}

// A save that fails (a read-only directory) goes to the error path: OnBatch
// never hears of the batch, its ack id is never sent, and after a backoff
// the batch is pulled again with the previous ack id.
func TestFailedSaveIsNeverReportedAsSaved(t *testing.T) {
	t.Parallel()
	cp, err := NewFileCheckpoint(readOnlyDir(t))
	require.NoError(t, err)
	q := newWireQueue(10)
	q.add(orderEvent(0), orderEvent(1))
	r := newRig(t, q, WithCheckpoint(cp))
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	var errs []error
	r.c.onError = func(_ context.Context, err error) {
		if errs = append(errs, err); len(errs) == 3 {
			cancel()
		}
	}
	require.NoError(t, r.run(ctx))
	assert.Empty(t, r.reports, "OnBatch is called only after a successful save")
	assert.Equal(t, []string{"", "", ""}, q.sentAcks(), "the batch's ack id is never sent")
	assert.Zero(t, q.ackedCount())
	assert.Equal(t, []string{"ev-0", "ev-1", "ev-0", "ev-1"}, r.dups, "the redelivered batch is recognised")
	for _, err := range errs {
		assert.ErrorContains(t, err, "saving the checkpoint of queue q1")
	}
	assert.Len(t, r.waits, 3, "each failed save is followed by a backoff")
}
