// Package pgbus carries the realtime hub's deliveries between the nodes that
// share one PostgreSQL database, over LISTEN/NOTIFY: no other service to run.
// A delivery is JSON; one larger than a NOTIFY payload may be (8000 bytes)
// is stored in realtime_payloads and notified by id. A node whose listener
// connection drops reconnects and catches up from the stored rows
// (notifications of its sockets' users, messages of its channels) since a
// little before the loss; the hub drops what it already delivered.
//
// A node publishes only while it knows another node is alive: every node
// says hello when it starts listening and beats every few seconds, and one
// that hears no other node sends nothing. So a single node pays nothing for
// the bus (a NOTIFY per commit was most of the regression measured in
// docs/performance.md), and a node that stops beating — crashed, or cut off
// — has its presences dropped by the others.
package pgbus

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
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

// beatEvery is how often a node tells the others it is alive; a node not
// heard from for peerTTL is gone (its presences leave, and when it was the
// last one the others stop publishing).
// (A variable: tests shorten it.)
var beatEvery = 5 * time.Second

func peerTTL() time.Duration { return 3 * beatEvery }

// Bus is one node's publisher and listener.
type Bus struct {
	url string
	hub *realtime.Hub
	log *slog.Logger
	out chan item
	// self is the start of this node's own payloads: the listener hears its
	// own NOTIFYs too and skips them before decoding.
	self string
	// peersUntil is when, in unix nanoseconds, the last other node heard
	// from stops counting as alive; Publish drops deliveries after it.
	peersUntil atomic.Int64
	// peers is when each other node was last heard from (listener goroutine only).
	peers map[string]time.Time
	stop  context.CancelFunc
	// closing tells the publisher to send what is queued and end (a node
	// shutting down still tells the others it goes).
	closing   chan struct{}
	pubDone   chan struct{} // closed when the publisher ends
	closeOnce sync.Once
	wg        sync.WaitGroup

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
	node, _ := json.Marshal(hub.Node())
	b := &Bus{url: url, hub: hub, log: log.With("component", "realtime-bus"), out: make(chan item, 4096),
		self: `{"n":` + string(node) + `,`, peers: map[string]time.Time{},
		stop: cancel, closing: make(chan struct{}), pubDone: make(chan struct{})}
	b.wg.Add(2)
	go b.publishLoop(ctx)
	go b.listenLoop(ctx)
	return b
}

// Close sends what is queued (for at most 2 s), then stops the bus; later
// calls do nothing.
func (b *Bus) Close() { b.closeOnce.Do(b.close) }

func (b *Bus) close() {
	close(b.closing)
	select {
	case <-b.pubDone:
	case <-time.After(2 * time.Second):
	}
	b.stop()
	b.wg.Wait()
}

// Publish queues a delivery for the other nodes without waiting. Nothing is
// sent while no other node is alive; a full queue drops it (logged).
func (b *Bus) Publish(d realtime.Delivery) {
	if !b.HasPeers() {
		return
	}
	b.queue(item{d: d})
}

// HasPeers reports whether another node was heard from within peerTTL.
func (b *Bus) HasPeers() bool { return time.Now().UnixNano() < b.peersUntil.Load() }

func (b *Bus) queue(it item) {
	select {
	case b.out <- it:
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

// item is one queued NOTIFY: a delivery, or the bus's own hello or beat.
type item struct {
	d     realtime.Delivery
	hello bool
	beat  bool
}

// envelope is a NOTIFY payload: a delivery, or the id of a stored one, or a
// hello or beat. N, the sending node, is always first (see Bus.self).
type envelope struct {
	N     string             `json:"n"`
	Hello bool               `json:"hello,omitempty"`
	Beat  bool               `json:"beat,omitempty"`
	Ref   string             `json:"ref,omitempty"`
	D     *realtime.Delivery `json:"d,omitempty"`
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
	beat := time.NewTicker(beatEvery)
	defer beat.Stop()
	batch := make([]item, 0, maxBatch)
	for {
		var d item
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
			case <-beat.C:
				d = item{beat: true}
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

func (b *Bus) send(ctx context.Context, conn *pgx.Conn, items []item) error {
	batch := &pgx.Batch{}
	node := b.hub.Node()
	for i := range items {
		env := envelope{N: node, Hello: items[i].hello, Beat: items[i].beat}
		if !env.Hello && !env.Beat {
			env.D = &items[i].d
		}
		raw, err := json.Marshal(env)
		if err != nil {
			return err
		}
		if len(raw) > maxPayload {
			id := uuid.NewString()
			if _, err := conn.Exec(ctx, "INSERT INTO realtime_payloads (id, payload, create_time) VALUES ($1, $2, $3)",
				id, string(raw), time.Now().UnixMicro()); err != nil {
				return err
			}
			raw, _ = json.Marshal(envelope{N: node, Ref: id})
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
		// Listening now: say hello. Every node that hears it answers with a
		// beat, and each side asks the other for its presences when it first
		// hears of it (heard, below) — so forget who was known before a loss.
		b.peers = map[string]time.Time{}
		b.queue(item{hello: true})
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
		wctx, cancel := context.WithTimeout(ctx, beatEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed() {
			// No NOTIFY for a while: check for silent nodes and wait on (a
			// timed-out wait keeps the connection).
			b.expire()
			continue
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(n.Payload, b.self) {
			continue // this node's own
		}
		var env envelope
		if err := json.Unmarshal([]byte(n.Payload), &env); err != nil {
			b.log.Warn("realtime bus: bad payload", "error", err)
			continue
		}
		if env.N != "" {
			b.heard(env.N, env.Hello)
		}
		if env.Hello || env.Beat {
			b.expire()
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
			if env.D.Gone {
				b.forget(env.D.Node)
			}
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

// heard notes a NOTIFY from another node. A node heard of for the first
// time (or first since this node's listener reconnected) is asked for its
// presences, and a hello is answered at once, so the new node learns of this
// one without waiting for a beat.
func (b *Bus) heard(node string, hello bool) {
	now := time.Now()
	_, known := b.peers[node]
	b.peers[node] = now
	if until := now.Add(peerTTL()).UnixNano(); until > b.peersUntil.Load() {
		b.peersUntil.Store(until) // only the listener goroutine stores
	}
	if hello {
		b.queue(item{beat: true})
	}
	if !known {
		b.hub.RequestSync()
	}
}

// expire forgets the nodes not heard from within peerTTL; their presences
// leave this node's channels as if they had shut down.
func (b *Bus) expire() {
	now := time.Now()
	for node, seen := range b.peers {
		if now.Sub(seen) > peerTTL() {
			b.log.Warn("realtime bus: node silent, dropping its presences", "node", node)
			b.forget(node)
			b.hub.Receive(realtime.Delivery{Node: node, Gone: true})
		}
	}
}

// forget drops a node that said it is gone (or went silent): when it was
// the last one, this node stops publishing at once.
func (b *Bus) forget(node string) {
	delete(b.peers, node)
	var last time.Time
	for _, seen := range b.peers {
		if seen.After(last) {
			last = seen
		}
	}
	if last.IsZero() {
		b.peersUntil.Store(0)
	} else {
		b.peersUntil.Store(last.Add(peerTTL()).UnixNano())
	}
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
