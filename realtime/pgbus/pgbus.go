// Package pgbus carries the realtime hub's deliveries between the nodes that
// share one PostgreSQL database, over LISTEN/NOTIFY: no other service to run.
// A delivery is JSON; one larger than a NOTIFY payload may be (8000 bytes)
// is stored in realtime_payloads and notified by id. A node whose listener
// connection drops reconnects and catches up from the stored rows
// (notifications of its sockets' users, messages of its channels) since a
// little before the loss; the hub drops what it already delivered.
package pgbus

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/realtime"
)

// Channel is the NOTIFY channel of every node.
const Channel = "guildhall_realtime"

// maxPayload is the largest delivery sent inline (PostgreSQL's limit is
// 8000 bytes, less the channel name).
const maxPayload = 7900

// catchUpMargin is how far before a lost connection a catch-up reads.
const catchUpMargin = 10 * time.Second

// Bus is one node's publisher and listener.
type Bus struct {
	url  string
	hub  *realtime.Hub
	log  *slog.Logger
	out  chan realtime.Delivery
	stop context.CancelFunc
	// closing tells the publisher to send what is queued and end (a node
	// shutting down still tells the others it goes).
	closing chan struct{}
	pubDone chan struct{} // closed when the publisher ends
	wg      sync.WaitGroup

	mu       sync.Mutex
	listener *pgx.Conn // for tests: KillListener

	dropped       atomic.Int64 // deliveries a full queue dropped
	droppedLogged atomic.Int64 // unix nanoseconds of the last warning
}

// Start connects a node's bus at url (a direct, not transaction-pooled,
// connection: LISTEN needs a session) and starts its two goroutines.
func Start(ctx context.Context, url string, hub *realtime.Hub, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &Bus{url: url, hub: hub, log: log.With("component", "realtime-bus"), out: make(chan realtime.Delivery, 4096),
		stop: cancel, closing: make(chan struct{}), pubDone: make(chan struct{})}
	b.wg.Add(2)
	go b.publishLoop(ctx)
	go b.listenLoop(ctx)
	return b
}

// Close sends what is queued (for at most 2 s), then stops the bus.
func (b *Bus) Close() {
	close(b.closing)
	select {
	case <-b.pubDone:
	case <-time.After(2 * time.Second):
	}
	b.stop()
	b.wg.Wait()
}

// Publish queues a delivery for the other nodes without waiting; a full
// queue drops it (logged).
func (b *Bus) Publish(d realtime.Delivery) {
	select {
	case b.out <- d:
	default:
		// Logged at most once a second with the count, so an overloaded
		// publisher does not also flood the log.
		n := b.dropped.Add(1)
		now := time.Now().UnixNano()
		if last := b.droppedLogged.Load(); now-last > int64(time.Second) && b.droppedLogged.CompareAndSwap(last, now) {
			b.log.Warn("realtime bus: publish queue full, deliveries dropped", "dropped_total", n)
		}
	}
}

// maxBatch is how many queued deliveries one round trip publishes.
const maxBatch = 64

// envelope is a NOTIFY payload: a delivery, or the id of a stored one.
type envelope struct {
	Ref string             `json:"ref,omitempty"`
	D   *realtime.Delivery `json:"d,omitempty"`
}

func (b *Bus) connect(ctx context.Context, name string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(b.url)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = "guildhall-realtime-" + name + "-" + b.hub.Node()
	return pgx.ConnectConfig(ctx, cfg)
}

// backoff waits before a reconnect; false when ctx ended.
func backoff(ctx context.Context, attempt int) bool {
	d := time.Duration(min(attempt, 20)) * 100 * time.Millisecond
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (b *Bus) publishLoop(ctx context.Context) {
	defer b.wg.Done()
	defer close(b.pubDone)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	lastSweep := time.Now()
	closing := false
	batch := make([]realtime.Delivery, 0, maxBatch)
	for {
		var d realtime.Delivery
		if closing {
			select {
			case d = <-b.out:
			default:
				return // everything queued was sent
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-b.closing:
				closing = true
				continue
			case d = <-b.out:
			}
		}
		// Whatever else is queued goes in the same round trip (and the same
		// implicit transaction: one commit for the batch's NOTIFYs).
		batch = append(batch[:0], d)
	drain:
		for len(batch) < maxBatch {
			select {
			case more := <-b.out:
				batch = append(batch, more)
			default:
				break drain
			}
		}
		for attempt := 0; ; attempt++ {
			if conn == nil {
				c, err := b.connect(ctx, "publish")
				if err != nil {
					b.log.Warn("realtime bus: publisher cannot connect", "error", err)
					if !backoff(ctx, attempt+1) {
						return
					}
					continue
				}
				conn = c
			}
			if err := b.send(ctx, conn, batch); err != nil {
				b.log.Warn("realtime bus: publish failed", "error", err)
				_ = conn.Close(context.Background())
				conn = nil
				if attempt >= 2 || !backoff(ctx, attempt+1) {
					break // the persistent parts are caught up by the listeners
				}
				continue
			}
			break
		}
		if conn != nil && time.Since(lastSweep) > time.Minute {
			lastSweep = time.Now()
			_, _ = conn.Exec(ctx, "DELETE FROM realtime_payloads WHERE create_time < $1", time.Now().Add(-time.Minute).UnixMicro())
		}
	}
}

func (b *Bus) send(ctx context.Context, conn *pgx.Conn, ds []realtime.Delivery) error {
	batch := &pgx.Batch{}
	for i := range ds {
		raw, err := json.Marshal(envelope{D: &ds[i]})
		if err != nil {
			return err
		}
		if len(raw) > maxPayload {
			id := uuid.NewString()
			if _, err := conn.Exec(ctx, "INSERT INTO realtime_payloads (id, payload, create_time) VALUES ($1, $2, $3)",
				id, string(raw), time.Now().UnixMicro()); err != nil {
				return err
			}
			raw, _ = json.Marshal(envelope{Ref: id})
		}
		batch.Queue("SELECT pg_notify($1, $2)", Channel, string(raw))
	}
	return conn.SendBatch(ctx, batch).Close()
}

func (b *Bus) listenLoop(ctx context.Context) {
	defer b.wg.Done()
	var lost time.Time // zero until a connection is lost
	for attempt := 0; ctx.Err() == nil; attempt++ {
		conn, err := b.connect(ctx, "listen")
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+Channel)
		}
		if err != nil {
			if conn != nil {
				_ = conn.Close(context.Background())
			}
			if ctx.Err() == nil {
				b.log.Warn("realtime bus: listener cannot connect", "error", err)
			}
			if lost.IsZero() {
				lost = time.Now()
			}
			if !backoff(ctx, attempt+1) {
				return
			}
			continue
		}
		attempt = 0
		b.mu.Lock()
		b.listener = conn
		b.mu.Unlock()
		// Listening now: ask the other nodes who is in which channel.
		b.hub.RequestSync()
		if !lost.IsZero() {
			if err := b.catchUp(ctx, conn, lost.Add(-catchUpMargin)); err != nil {
				b.log.Warn("realtime bus: catch-up failed", "error", err)
			}
		}
		err = b.listen(ctx, conn)
		b.mu.Lock()
		b.listener = nil
		b.mu.Unlock()
		_ = conn.Close(context.Background())
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("realtime bus: listener connection lost; reconnecting", "error", err)
		lost = time.Now()
	}
}

func (b *Bus) listen(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var env envelope
		if err := json.Unmarshal([]byte(n.Payload), &env); err != nil {
			b.log.Warn("realtime bus: bad payload", "error", err)
			continue
		}
		if env.Ref != "" {
			var text string
			if err := conn.QueryRow(ctx, "SELECT payload FROM realtime_payloads WHERE id = $1", env.Ref).Scan(&text); err != nil {
				b.log.Warn("realtime bus: stored payload unreadable", "id", env.Ref, "error", err)
				continue
			}
			env = envelope{}
			if err := json.Unmarshal([]byte(text), &env); err != nil || env.D == nil {
				continue
			}
		}
		if env.D != nil {
			b.hub.Receive(*env.D)
		}
	}
}

// catchUp delivers the stored notifications and channel messages this
// node's sockets may have missed since from.
func (b *Bus) catchUp(ctx context.Context, conn *pgx.Conn, from time.Time) error {
	users, channels := b.hub.LocalUsers(), b.hub.LocalChannels()
	d := realtime.Delivery{Node: realtime.CatchUpNode}
	if len(users) > 0 {
		rows, err := conn.Query(ctx, `SELECT id, user_id, subject, content, code, COALESCE(sender_id::text, ''), create_time, persistent
			FROM notifications WHERE create_time >= $1 AND user_id = ANY($2::uuid[]) ORDER BY create_time, id`, from.UnixMicro(), users)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n inbox.Notification
			var ct int64
			if err := rows.Scan(&n.ID, &n.UserID, &n.Subject, &n.Content, &n.Code, &n.SenderID, &ct, &n.Persistent); err != nil {
				rows.Close()
				return err
			}
			n.CreateTime = time.UnixMicro(ct).UTC()
			d.Notifications = append(d.Notifications, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(channels) > 0 {
		rows, err := conn.Query(ctx, `SELECT m.id, m.channel_id, m.code, m.sender_id, COALESCE(NULLIF(m.username, ''), u.username, ''),
			m.content, m.create_time, m.update_time
			FROM channel_messages m LEFT JOIN users u ON u.id = m.sender_id
			WHERE m.create_time >= $1 AND m.channel_id = ANY($2) ORDER BY m.create_time, m.id`, from.UnixMicro(), channels)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m chat.Message
			var ct, ut int64
			if err := rows.Scan(&m.ID, &m.ChannelID, &m.Code, &m.SenderID, &m.Username, &m.Content, &ct, &ut); err != nil {
				rows.Close()
				return err
			}
			c, err := chat.ParseChannelID(m.ChannelID)
			if err != nil {
				continue
			}
			m = m.WithChannel(c)
			m.CreateTime, m.UpdateTime, m.Persistent = time.UnixMicro(ct).UTC(), time.UnixMicro(ut).UTC(), true
			d.Messages = append(d.Messages, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	b.hub.Receive(d)
	return nil
}

// KillListener closes the listener connection (tests: a lost connection).
func (b *Bus) KillListener() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listener == nil {
		return false
	}
	_ = b.listener.PgConn().Conn().Close()
	return true
}
