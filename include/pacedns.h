/* pacedns.h - the one public header of libpacedns: polite bulk DNS resolution.
 * SPDX-License-Identifier: MIT
 *
 * Ownership, once for the whole API:
 *  - Handles (pdns_runner) are created by pdns_*_new() and released by the matching
 *    pdns_*_free(); the caller owns them.
 *  - Strings returned by the library as `char *` are owned by the caller and released
 *    with pdns_free(). Strings and structs passed to callbacks (`const`) are owned by
 *    the library and valid only for the duration of the callback.
 *  - Strings passed into the library are copied; the caller keeps ownership.
 *
 * Threads: a runner and everything reached from it belong to the thread that runs its
 * uv loop. Use one runner per thread; runners on different threads share nothing.
 * The exception is a runner made with pdns_options.threads > 1: it runs its names on
 * that many worker threads of its own, each with its own loop (see pdns_options).
 */
#ifndef PACEDNS_H
#define PACEDNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks the public functions: the only symbols libpacedns exports (it is built with
 * hidden visibility by default, as libuv does with UV_EXTERN). */
#if defined(__GNUC__) || defined(__clang__)
#define PDNS_API __attribute__((visibility("default")))
#else
#define PDNS_API
#endif

#define PDNS_VERSION_MAJOR 0
#define PDNS_VERSION_MINOR 2
#define PDNS_VERSION_PATCH 0
#define PDNS_VERSION       "0.2.0"

struct uv_loop_s;

/** Status of a library call. PDNS_OK is zero; every other value is an error. */
typedef enum pdns_status {
    PDNS_OK = 0,
    PDNS_ERR_NOMEM,      /**< out of memory */
    PDNS_ERR_INVALID,    /**< invalid argument */
    PDNS_ERR_PARSE,      /**< malformed input (server address, profile, file) */
    PDNS_ERR_IO,         /**< file or socket I/O failed */
    PDNS_ERR_GETDNS,     /**< a getdns call failed */
    PDNS_ERR_UV,         /**< a libuv call failed */
    PDNS_ERR_STATE,      /**< call not valid in the runner's current state */
    PDNS_ERR_RANGE,      /**< value out of range */
    PDNS_ERR_NOSERVER,   /**< no nameserver configured */
    PDNS_ERR_UNSUPPORTED /**< a requested feature is not supported (pdns_options.dnssec) */
} pdns_status;

/** Human readable text for a status.
 * \param st a status
 * \return a static string, never NULL */
PDNS_API const char *pdns_strerror(pdns_status st);

/** Outcome of one (name, type) query, as written in result records. */
typedef enum pdns_rstatus {
    PDNS_R_NOERROR = 0,  /**< answer with records of the queried type */
    PDNS_R_NODATA,       /**< NOERROR, but no record of the type */
    PDNS_R_NXDOMAIN,     /**< the name does not exist */
    PDNS_R_SERVFAIL,     /**< server failure (after all retries) */
    PDNS_R_REFUSED,      /**< refused (after all retries) */
    PDNS_R_FORMERR,      /**< format error */
    PDNS_R_NOTIMP,       /**< not implemented */
    PDNS_R_RCODE,        /**< another rcode; see pdns_result.rcode */
    PDNS_R_TIMEOUT,      /**< no answer within timeout x (retries + 1) */
    PDNS_R_CNAME_LOOP,   /**< CNAME chain loops or is longer than 8 hops */
    PDNS_R_INVALID_NAME, /**< the input is not a valid domain name */
    PDNS_R_ERROR,        /**< another error; see pdns_result.error */
    PDNS_R_UNREACHABLE,  /**< no attempt reached a server: the last one ended at once on an
                              ICMP error (port/host unreachable) or a failed send; see
                              pdns_result.error */
    PDNS_R_WILDCARD      /**< the answer is explained by a wildcard at an ancestor
                              (pdns_result.wildcard); only with PDNS_WILDCARDS_FILTER */
} pdns_rstatus;

/** Number of result statuses (size of arrays indexed by pdns_rstatus). */
#define PDNS_R_COUNT (PDNS_R_WILDCARD + 1)

/** Mnemonic of a result status ("NOERROR", "TIMEOUT", ...).
 * \param st a result status
 * \return a static string */
PDNS_API const char *pdns_rstatus_name(pdns_rstatus st);

/** Mnemonic of an rcode ("NOERROR", "SERVFAIL", ... or "RCODE23").
 * \param rcode a DNS rcode
 * \return a string valid until the next call from the same thread */
PDNS_API const char *pdns_rcode_name(int rcode);

/** Look up an RR type by mnemonic ("A", "aaaa", "TYPE65").
 * \param name the mnemonic, case-insensitive
 * \param type receives the type number
 * \return PDNS_OK, or PDNS_ERR_PARSE for an unknown mnemonic */
PDNS_API pdns_status pdns_rrtype_from_name(const char *name, uint16_t *type);

/** Mnemonic of an RR type ("A", or "TYPE65" for unknown ones).
 * \param type the RR type number
 * \param buf buffer of at least 16 bytes, used for unknown types
 * \return the mnemonic (static or \p buf) */
PDNS_API const char *pdns_rrtype_name(uint16_t type, char buf[16]);

/** One answer record, in presentation format. */
typedef struct pdns_answer {
    const char *name; /**< owner name, with trailing dot */
    uint16_t type;    /**< RR type */
    uint32_t ttl;     /**< TTL in seconds */
    const char *data; /**< rdata in presentation format, e.g. "10 mx.example." */
} pdns_answer;

/** The result record of one (name, type) query. */
typedef struct pdns_result {
    const char *name;                   /**< the input name as given (trimmed) */
    const char *qname;                  /**< the queried name (PTR: the .arpa name), trailing dot */
    uint64_t line;                      /**< input line number (1-based), 0 when not from a file */
    uint16_t qtype;                     /**< the queried type */
    pdns_rstatus status;                /**< outcome */
    int rcode;                          /**< last rcode seen, -1 when none */
    const pdns_answer *answers;         /**< records of the queried type (final name) */
    size_t n_answers;                   /**< number of answers */
    const char *const *cname;           /**< CNAME chain targets, in order */
    size_t n_cname;                     /**< number of CNAME targets */
    const char *server;                 /**< server of the last attempt ("127.0.0.1:53"), or NULL */
    int attempts;                       /**< queries sent for this record (all hops, retries) */
    double rtt_ms;                      /**< RTT of the last answered attempt, -1 when none */
    const char *error;                  /**< detail for ERROR, INVALID_NAME and UNREACHABLE */
    int fcrdns;                         /**< -1 not checked, 0 failed, 1 forward-confirmed */
    void *user;                         /**< user data given at submit */
    unsigned line_records;              /**< records its input line (or submission) yields in all: 1
                                             for "NAME TYPE", else one per configured type; each
                                             is reported exactly once */
    const char *wildcard;               /**< "*.parent.zone." when a wildcard there explains the
                                             answer (pdns_options.wildcards), else NULL */
    int verified;                       /**< pdns_options.verify: 1 the trusted servers agree, -1
                                             they do not (see trusted_answers); 0 not checked */
    const pdns_answer *trusted_answers; /**< verified < 0: the trusted servers' answers */
    size_t n_trusted_answers;           /**< their number */
    const char *trusted_status;         /**< verified < 0: the trusted servers' status */
    int unfinished;                     /**< 1: the run stopped before this record could be
                                             believed (every server quarantined): status ERROR,
                                             and a resume should redo its line */
    int has_dnssec;   /**< 1 with PDNS_Q_DNSSEC and an answer read (any transport):
                           ad and rrsig below are set */
    int ad;           /**< the final answer's AD bit (has_dnssec) */
    int rrsig;        /**< RRSIG records in the final answer's answer section */
    const char *nsid; /**< PDNS_Q_NSID_RECORD: the NSID of the server's final
                           answer (text, or hex when not printable), else NULL */
    const char *ecs;  /**< the EDNS Client Subnet prefix the queries carried
                           ("192.0.2.0/24": the line's ecs=, else
                           pdns_options.ecs), or NULL */
    int ecs_scope;    /**< with ecs: the scope prefix length of the final
                           answer's ECS option, -1 when it had none */
} pdns_result;

/** Called once per submitted (name, type), on the loop's thread.
 * \param res the record; owned by the library, valid during the call only
 * \param user the user pointer of the runner options */
typedef void (*pdns_result_cb)(const pdns_result *res, void *user);

/** Returned by a pdns_source_fn that has no name yet but will have (a pipe whose writer
 * is slow): the runner asks again a few milliseconds later and never waits in between. */
#define PDNS_SOURCE_AGAIN 2

/** Pull-style input: fill \p name (NUL-terminated, at most \p cap bytes) with the next
 * input name and \p line with its line number. Called on the loop's thread: it must not
 * block (return PDNS_SOURCE_AGAIN instead).
 * \return 1 when a name was produced, 0 at end of input, -1 on a read error, or
 *         PDNS_SOURCE_AGAIN */
typedef int (*pdns_source_fn)(void *user, char *name, size_t cap, uint64_t *line);

/** Wildcard handling (pdns_options.wildcards). */
typedef enum pdns_wildcards {
    PDNS_WILDCARDS_OFF = 0, /**< no detection */
    PDNS_WILDCARDS_MARK,    /**< pdns_result.wildcard names the wildcard */
    PDNS_WILDCARDS_FILTER   /**< ... and the status is PDNS_R_WILDCARD, without answers */
} pdns_wildcards;

/** Called on the loop's thread when a server's trust state changes (quarantined).
 * \param server the server ("127.0.0.1:53")
 * \param state "quarantined"
 * \param reason why (a static-lifetime-free string valid during the call)
 * \param user pdns_options.user */
typedef void (*pdns_trust_cb)(const char *server, const char *state, const char *reason,
                              void *user);

/** How DoH queries travel (pdns_options.doh_method). */
typedef enum pdns_doh_method {
    PDNS_DOH_POST = 0, /**< POST of application/dns-message (the default) */
    PDNS_DOH_GET       /**< GET with the query as ?dns= (base64url, no padding) */
} pdns_doh_method;

/** How queries travel. */
typedef enum pdns_transport {
    PDNS_TRANSPORT_AUTO = 0, /**< the lean UDP transport, getdns for TCP */
    PDNS_TRANSPORT_UDP,      /**< lean UDP sockets (TC answers go to getdns over TCP) */
    PDNS_TRANSPORT_GETDNS    /**< getdns stub queries for everything */
} pdns_transport;

/** Query flags and EDNS options: bits of pdns_options.query_flags. They shape the
 * queries of the UDP, tcp://, tls:// and https:// transports; pdns_runner_new refuses
 * them with PDNS_TRANSPORT_GETDNS (PDNS_ERR_UNSUPPORTED). A TC answer's retry over TCP
 * goes through getdns with the same flags and options but the cookie, and its record has
 * the EDNS reading of that TCP answer. */
#define PDNS_Q_NO_RD       (1u << 0) /**< RD clear (authoritative benchmarking) */
#define PDNS_Q_NO_EDNS     (1u << 1) /**< no OPT record (refused with any EDNS option) */
#define PDNS_Q_DNSSEC      (1u << 2) /**< DO set; records give AD and their RRSIG count */
#define PDNS_Q_NSID        (1u << 3) /**< ask for NSID; the stats give each server's */
#define PDNS_Q_NSID_RECORD (1u << 4) /**< also each record's (implies PDNS_Q_NSID) */
#define PDNS_Q_COOKIES                                                                             \
    (1u << 5) /**< an RFC 7873 client cookie (random, one per server);                             \
                   the stats count answers without a valid server                                  \
                   cookie */

/** Check an EDNS Client Subnet prefix as pdns_options.ecs takes it.
 * \param prefix "ADDR/PREFIX" (IPv4 prefix 0-32, IPv6 0-128; no bits set past it) or
 *        "ADDR" (a full-length prefix)
 * \param why receives a static reason on error (may be NULL)
 * \return PDNS_OK or PDNS_ERR_PARSE */
PDNS_API pdns_status pdns_ecs_check(const char *prefix, const char **why);

/** Limits of pdns_options checked by pdns_runner_new (PDNS_ERR_RANGE outside them). */
#define PDNS_MAX_THREADS    64      /**< threads: at most this many */
#define PDNS_MAX_RETRIES    100     /**< retries: at most this many */
#define PDNS_MAX_TIMEOUT_MS 600000  /**< timeout_ms: 1 .. this */
#define PDNS_MIN_INTERVAL_S 0.01    /**< interval_s: at least this ... */
#define PDNS_MAX_INTERVAL_S 86400.0 /**< ... and at most this */
#define PDNS_MAX_SHARDS     100000  /**< shards: at most this many */

/** Runner options; initialise with pdns_options_init() then override fields. Ranges:
 * see PDNS_MAX_THREADS and the limits beside it; with threads > 1 a non-zero
 * max_inflight must be at least threads (each thread gets its exact share). */
typedef struct pdns_options {
    double qps;               /**< fixed per-server rate; <= 0 means controller (AIMD) */
    double max_total_qps;     /**< cap on the sum over servers; <= 0 for none */
    unsigned max_inflight;    /**< per-server in-flight cap; 0 (default) = 100 with a fixed
                                   rate, 1000 with the controller (whose drops would
                                   otherwise hold every slot for a whole timeout) */
    unsigned timeout_ms;      /**< per-attempt timeout (default 2000) */
    unsigned retries;         /**< retries on timeout/SERVFAIL/REFUSED (default 3) */
    double interval_s;        /**< stats time-series interval (default 1.0) */
    const uint16_t *types;    /**< query types for each name (default: A only) */
    size_t n_types;           /**< number of types */
    int fcrdns;               /**< PTR: check forward confirmation */
    int dnssec;               /**< reserved, must be 0: DNSSEC validation is not supported
                                   (pdns_runner_new returns PDNS_ERR_UNSUPPORTED) */
    pdns_transport transport; /**< transport choice for plain ADDR[:PORT] servers (default
                                   AUTO); tcp://, tls:// and https:// servers always use
                                   their own stream or DoH transport */
    const char *tls_ca;       /**< CA certificates (PEM file) to verify tls:// and https://
                                   servers with; NULL: the system's store. Copied */
    const char *tls_name;     /**< the name a tls:// or https:// server's certificate must
                                   carry; NULL: the URL's address. Copied */
    int tls_insecure;         /**< 1: do not verify certificates (testing only) */
    unsigned stream_conns;    /**< connections per tcp:// or tls:// server (0: 4; 1-64);
                                   queries are pipelined on each */
    unsigned query_flags;     /**< PDNS_Q_* bits (default 0: RD, EDNS0, no option) */
    unsigned edns_size;       /**< UDP payload size offered, 512-65535 (0: 1232) */
    const char *ecs;          /**< EDNS Client Subnet "ADDR/PREFIX" for every query, or
                                   NULL (see pdns_ecs_check); read by pdns_runner_new */
    unsigned threads;         /**< worker threads (default 0 or 1: none, all work on the
                                   runner's loop). With N > 1 the runner splits the names
                                   over N threads, each with its own uv loop, every server
                                   and, per server, its own pacer and controller; every
                                   rate limit (qps, max_total_qps, max_inflight, the
                                   profile's rates) is divided by N so the sum stays the
                                   configured one. The source and on_result are then
                                   called from the worker threads, one call at a time;
                                   pdns_runner_stop, _done, _totals and _server_info may be
                                   called from any thread; pdns_runner_submit only before
                                   pdns_runner_run; the stats document (per server, the
                                   threads' figures merged) is complete once done. */
    unsigned shards;          /**< this process is one of N shards (processes, often on
                                   other machines) sharing the same servers (default 0 or
                                   1: none). Every rate limit (qps, max_total_qps,
                                   max_inflight, the profile's start/min/max/total/step
                                   rates) is divided by N, as for threads, so that N shards
                                   together offer at most what one process would; the
                                   in-flight cap is split exactly (shard i takes one more
                                   when i < cap % N; at least 1, and at least threads).
                                   The names are not chosen here: the caller gives each
                                   shard its part of the input. The stats document says
                                   "shard": {"index", "count"}. */
    unsigned shard_index;     /**< this shard's 0-based index, below shards */
    pdns_result_cb on_result; /**< where records go; required */
    void *user;               /**< passed to on_result and on_trust */
    int canaries;             /**< 1: canary checks of every server (on by default when a
                                   trusted server is added or verify is set); a server
                                   failing one is quarantined. Not with threads > 1 */
    int verify;               /**< 1: every positive answer is asked again of the trusted
                                   servers (pdns_result.verified); needs one */
    pdns_wildcards wildcards; /**< wildcard detection (default off) */
    double trusted_qps;       /**< total rate to the trusted servers (default 50) */
    pdns_trust_cb on_trust;   /**< quarantine notices, or NULL */
    int doh_method;           /**< pdns_doh_method for https:// servers: PDNS_DOH_POST (the
                                   default: one POST per query) or PDNS_DOH_GET (one GET
                                   with the query as ?dns=, RFC 8484 4.1) */
} pdns_options;

/** Fill \p opt with defaults.
 * \param opt options to initialise */
PDNS_API void pdns_options_init(pdns_options *opt);

typedef struct pdns_runner pdns_runner;

/** Create a runner on \p loop.
 * \param loop the caller's libuv loop, or NULL for a loop owned by the runner
 * \param opt options (copied)
 * \param out receives the runner
 * \return PDNS_OK or an error; PDNS_ERR_UNSUPPORTED when opt->dnssec is not 0 or
 *         query flags meet the getdns transport; PDNS_ERR_PARSE for a bad opt->ecs;
 *         PDNS_ERR_INVALID for PDNS_Q_NO_EDNS with an EDNS option or edns_size;
 *         PDNS_ERR_RANGE for edns_size out of range */
PDNS_API pdns_status pdns_runner_new(struct uv_loop_s *loop, const pdns_options *opt,
                                     pdns_runner **out);

/** Add every server of a servers file (one ADDR[:PORT] or URL per line, '#' comments).
 * \param r the runner (not yet running)
 * \param path the file
 * \return PDNS_OK; PDNS_ERR_IO (cannot read), PDNS_ERR_PARSE (a bad line: the message,
 *         see pdns_runner_errmsg, says FILE:LINE), PDNS_ERR_INVALID (a duplicate),
 *         PDNS_ERR_NOSERVER (no server in the file) */
PDNS_API pdns_status pdns_runner_add_servers_file(pdns_runner *r, const char *path);

/** Add the "nameserver" lines of a resolv.conf-style file.
 * \param r the runner (not yet running)
 * \param path the file, NULL for /etc/resolv.conf
 * \return as pdns_runner_add_servers_file (no server is not an error here) */
PDNS_API pdns_status pdns_runner_add_resolv_conf(pdns_runner *r, const char *path);

/** Choose the controller profile (used when pdns_options.qps <= 0): a name ("polite",
 * "default", "bench") looked up as NAME.json in $PACEDNS_PROFILE_DIR, the installed
 * share/pacedns/profiles and the source tree's profiles/, or a path to a JSON file.
 * Without a call, the compiled-in defaults (equal to default.json) apply.
 * \param r the runner (not yet running)
 * \param name_or_path profile name or path
 * \return PDNS_OK, PDNS_ERR_IO (not found), PDNS_ERR_PARSE (bad file; see
 *         pdns_runner_errmsg for the file and key) */
PDNS_API pdns_status pdns_runner_set_profile(pdns_runner *r, const char *name_or_path);

/** Override one controller parameter by its profile key (e.g. "max_qps").
 * \param r the runner (not yet running)
 * \param key a profile key
 * \param value its value
 * \return PDNS_OK, PDNS_ERR_INVALID (unknown key) or PDNS_ERR_RANGE */
PDNS_API pdns_status pdns_runner_set_param(pdns_runner *r, const char *key, double value);

/** Start server \p server at a known capacity instead of slow start: its controller
 * begins at the profile's hold_fraction of its share of \p optimal_qps (divided by
 * pdns_options.shards and .threads, like every rate limit) in congestion avoidance, so
 * it keeps probing upward and backs off on congestion as usual (a capacity atlas,
 * remembered from an earlier run, gives such figures). Ignored with a fixed qps.
 * \param r the runner (not yet running)
 * \param server a server already added (any spelling pdns_server_parse accepts)
 * \param optimal_qps the whole server's capacity estimate, > 0
 * \return PDNS_OK, PDNS_ERR_PARSE (bad address), PDNS_ERR_INVALID (not added),
 *         PDNS_ERR_RANGE (not a positive finite rate) or PDNS_ERR_STATE */
PDNS_API pdns_status pdns_runner_set_server_estimate(pdns_runner *r, const char *server,
                                                     double optimal_qps);

/** The message of the runner's last error (empty when none).
 * \param r the runner
 * \return a string owned by the runner, valid until its next call */
PDNS_API const char *pdns_runner_errmsg(const pdns_runner *r);

/** Add a nameserver, "ADDR", "ADDR:PORT" or "[V6ADDR]:PORT" (default port 53; UDP, TCP
 * after TC), or a URL: "tcp://ADDR[:PORT]", "tls://ADDR[:PORT]" (DoT, port 853) or
 * "https://ADDR[:PORT]/PATH" (DoH, port 443); the URL's host is an address.
 * \param r the runner (not yet running)
 * \param server the address text
 * \return PDNS_OK, PDNS_ERR_PARSE for a bad address, PDNS_ERR_INVALID for a duplicate */
PDNS_API pdns_status pdns_runner_add_server(pdns_runner *r, const char *server);

/** Add a trusted server ("ADDR[:PORT]"): taken as truth by canaries and verify, never
 * used for bulk queries, paced at pdns_options.trusted_qps in total.
 * \param r the runner (not yet running)
 * \param server the address text
 * \return PDNS_OK, PDNS_ERR_PARSE for a bad address, PDNS_ERR_INVALID for a duplicate */
PDNS_API pdns_status pdns_runner_add_trusted(pdns_runner *r, const char *server);

/** Add every server of a file (as pdns_runner_add_servers_file) as trusted.
 * \param r the runner (not yet running)
 * \param path the file
 * \return as pdns_runner_add_servers_file */
PDNS_API pdns_status pdns_runner_add_trusted_file(pdns_runner *r, const char *path);

/** Queue one name (one record per configured type will be reported).
 * \param r the runner
 * \param name the name (or an address, for PTR)
 * \param line a line number carried into the record (0 if none)
 * \param user pointer carried into pdns_result.user
 * \return PDNS_OK or PDNS_ERR_NOMEM */
PDNS_API pdns_status pdns_runner_submit(pdns_runner *r, const char *name, uint64_t line,
                                        void *user);

/** Set a lazy input source: names are pulled only as in-flight slots free up.
 * \param r the runner
 * \param fn the source function
 * \param user passed to \p fn
 * \return PDNS_OK */
PDNS_API pdns_status pdns_runner_set_source(pdns_runner *r, pdns_source_fn fn, void *user);

/** Start the runner's work on its loop. With a caller's loop, run the loop afterwards;
 * with an owned loop, this runs it until every record is reported.
 * \param r the runner
 * \return PDNS_OK or an error */
PDNS_API pdns_status pdns_runner_run(pdns_runner *r);

/** Graceful stop: read no more input, let in-flight queries end, report their records.
 * Safe to call from a signal watcher on the loop.
 * \param r the runner */
PDNS_API void pdns_runner_stop(pdns_runner *r);

/** Whether the runner has reported every record it owes and gone idle.
 * \param r the runner
 * \return 1 when done */
PDNS_API int pdns_runner_done(const pdns_runner *r);

/** The stats document as JSON text (schema in README).
 * \param r the runner
 * \param pretty non-zero for indented output
 * \return a string the caller releases with pdns_free(), or NULL on no memory */
PDNS_API char *pdns_runner_stats_json(pdns_runner *r, int pretty);

/** Per-server figures, for summaries (a snapshot; strings owned by the runner). */
typedef struct pdns_server_info {
    const char *server;       /**< "127.0.0.1:53" */
    uint64_t sent;            /**< queries sent */
    uint64_t answered;        /**< answers received */
    uint64_t timeouts;        /**< queries that timed out */
    uint64_t retries;         /**< retried queries */
    uint64_t errors;          /**< SERVFAIL and REFUSED answers */
    uint64_t tc;              /**< truncated answers */
    double rate_qps;          /**< current target rate */
    double answered_qps;      /**< answers per second over the run so far */
    double p50_ms;            /**< median latency */
    double p99_ms;            /**< 99th percentile latency */
    int controlled;           /**< 1 when an AIMD controller drives the rate */
    double optimal_qps;       /**< controller's capacity estimate; < 0 unknown */
    int converged;            /**< estimate stable (within 3 % over the last edges) */
    double converged_after_s; /**< seconds to first convergence; < 0 never */
    const char *phase;        /**< controller phase ("slow_start", "avoid", "hold", "probe") */
    size_t edges;           /**< congestion edges the controller met (rates where it backed off) */
    double near_loss;       /**< loss (lost+errors+TC / sent) of the intervals run near optimal_qps
                                 (target within 0.85..1.05 of it); < 0 none; final once the run ends */
    double near_p50_ms;     /**< median of those intervals' p50 latency; < 0 none */
    double near_p99_ms;     /**< median of those intervals' p99 latency; < 0 none */
    const char *transport;  /**< "udp", "tcp", "tls" or "https" */
    uint64_t conn_opened;   /**< streams: connections attempted */
    uint64_t conn_failures; /**< streams: connections that never became usable */
    const char *conn_error; /**< streams: the last connection failure or reset ("" none) */
} pdns_server_info;

/** Number of servers.
 * \param r the runner
 * \return the count */
PDNS_API size_t pdns_runner_server_count(const pdns_runner *r);

/** Figures of server \p i (in the order added).
 * \param r the runner
 * \param i index below pdns_runner_server_count()
 * \param out receives the figures
 * \return PDNS_OK or PDNS_ERR_INVALID */
PDNS_API pdns_status pdns_runner_server_info(const pdns_runner *r, size_t i, pdns_server_info *out);

/** Run totals. */
typedef struct pdns_totals {
    uint64_t names;                  /**< input names taken */
    uint64_t records;                /**< records reported */
    double elapsed_s;                /**< seconds since the run started (to its end once done) */
    uint64_t statuses[PDNS_R_COUNT]; /**< records per pdns_rstatus */
    int input_error;                 /**< the source reported a read error */
    int halted; /**< the run stopped itself: every server was quarantined (the reason is
                     pdns_runner_errmsg) */
} pdns_totals;

/** Totals of the run so far.
 * \param r the runner
 * \param out receives the totals */
PDNS_API void pdns_runner_totals(const pdns_runner *r, pdns_totals *out);

/** Release a runner, finished or not (a run still going is abandoned: no record is
 * reported from here on). Its handles are closed; it never runs a caller's loop: with one,
 * run the loop once more (uv_run(loop, UV_RUN_DEFAULT)) so their close callbacks release
 * the rest of the memory, then uv_loop_close() returns 0.
 * \param r the runner, or NULL */
PDNS_API void pdns_runner_free(pdns_runner *r);

/** Check a server address and give its canonical text ("127.0.0.1:53", "[::1]:53",
 * "tls://127.0.0.1:853", "https://127.0.0.1:443/dns-query").
 * \param text "ADDR", "ADDR:PORT", "[V6]:PORT", a bare IPv6 address, or a URL
 *             "tcp://ADDR[:PORT]", "tls://ADDR[:PORT]", "https://ADDR[:PORT]/PATH"
 * \param canon receives the canonical text (may be NULL)
 * \param cap size of canon (64 is enough for a plain address, 176 for any URL)
 * \param why receives a static reason on error (may be NULL)
 * \return PDNS_OK or PDNS_ERR_PARSE */
PDNS_API pdns_status pdns_server_parse(const char *text, char *canon, size_t cap, const char **why);

/** Validate a domain name and write its absolute form (trailing dot; UTF-8 labels as
 * A-labels), as the runner does with each input name.
 * \param in the name
 * \param out receives the absolute name
 * \param cap size of out, at least 256
 * \param why receives a static reason on error (may be NULL)
 * \return PDNS_OK, PDNS_ERR_PARSE (not a valid name) or PDNS_ERR_INVALID (cap) */
PDNS_API pdns_status pdns_name_normalize(const char *in, char *out, size_t cap, const char **why);

/** Split one input line as the runner does: "NAME", "NAME TYPE" (blank separated,
 * the dnsperf/resperf query-file form), each optionally followed by "ecs=PREFIX" (an
 * EDNS Client Subnet prefix for that line's queries, checked as pdns_ecs_check does,
 * not returned). The name is not validated here.
 * \param line the trimmed line
 * \param name receives the name field
 * \param cap size of name (256 is enough for any valid name)
 * \param type receives the type of the line, or 0 when the line gives none
 * \param why receives a static reason on error (may be NULL)
 * \return PDNS_OK, PDNS_ERR_PARSE (empty, more than two fields besides ecs=, name field
 *         too long, unknown type, bad ECS prefix) or PDNS_ERR_INVALID (NULL argument) */
PDNS_API pdns_status pdns_query_line_parse(const char *line, char *name, size_t cap, uint16_t *type,
                                           const char **why);

/** A lazy reader of name lists: one name per line, blank lines and '#' comments
 * skipped, CR and surrounding blanks trimmed, bytes that are not text shown as "\xHH",
 * line numbers counted over all files. */
typedef struct pdns_reader pdns_reader;

/** Open files in order ("-", or n == 0, is stdin).
 * \param paths the files
 * \param n how many
 * \param out receives the reader
 * \param err receives "cannot open FILE: reason" on error
 * \param errcap size of err
 * \return PDNS_OK, PDNS_ERR_IO or PDNS_ERR_NOMEM */
PDNS_API pdns_status pdns_reader_open(const char *const *paths, size_t n, pdns_reader **out,
                                      char *err, size_t errcap);

/** The next name (a too-long line is cut and returned; the runner then rejects it).
 * Usable as a pdns_source_fn through a small adapter.
 * \param rd the reader
 * \param buf receives the name
 * \param cap size of buf
 * \param line receives its line number
 * \return 1 with a name, 0 at the end, -1 on a read error (see pdns_reader_error) */
PDNS_API int pdns_reader_next(pdns_reader *rd, char *buf, size_t cap, uint64_t *line);

/** The last read error of the reader.
 * \param rd the reader
 * \return a string owned by the reader */
PDNS_API const char *pdns_reader_error(const pdns_reader *rd);

/** How far the reader is through its input, in bytes (for progress displays; the
 * input is not read twice to count lines). Call from the thread that reads it.
 * \param rd the reader
 * \param done receives the bytes consumed so far
 * \param total receives the total size of the inputs, or 0 when any is not a regular
 *        file (a pipe or terminal) */
PDNS_API void pdns_reader_progress(const pdns_reader *rd, uint64_t *done, uint64_t *total);

/** Close the reader.
 * \param rd the reader, or NULL */
PDNS_API void pdns_reader_close(pdns_reader *rd);

/** Writes records in one of the formats: "ndjson", "text", "hosts", "zone". */
typedef struct pdns_writer pdns_writer;

/** Create a writer on fp (the caller keeps and closes fp).
 * \param fp where records go
 * \param format a format name, NULL for ndjson
 * \param out receives the writer
 * \return PDNS_OK, PDNS_ERR_PARSE (unknown format) or PDNS_ERR_NOMEM */
PDNS_API pdns_status pdns_writer_new(FILE *fp, const char *format, pdns_writer **out);

/** Write one record (one line, or one line per answer for text, hosts and zone).
 * \param w the writer
 * \param res the record
 * \return PDNS_OK, PDNS_ERR_IO or PDNS_ERR_NOMEM */
PDNS_API pdns_status pdns_writer_write(pdns_writer *w, const pdns_result *res);

/** Release the writer (fp is not closed).
 * \param w the writer, or NULL */
PDNS_API void pdns_writer_free(pdns_writer *w);

/** Release memory returned by the library.
 * \param p the pointer, or NULL */
PDNS_API void pdns_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* PACEDNS_H */
