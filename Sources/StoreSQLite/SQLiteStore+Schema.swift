import ClickModel
import Domain
import Foundation
import GRDB
import Store

extension SQLiteStore {
    /// The schema, as migrations. Never edit a shipped migration; add one.
    ///
    /// Conventions: times are milliseconds since the Unix epoch (INTEGER);
    /// ids referring to nothing are 0 in clicks and rollups (no NULLs in their
    /// keys); a click's id is its 16-byte ULID, so its primary key is also its
    /// time order and retention deletes a key range.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: workspace, catalogue, keys, clicks, rollups") { db in
            try db.execute(sql: """
                CREATE TABLE workspace (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    created_at INTEGER NOT NULL,
                    client_hash_salt INTEGER NOT NULL,
                    currency TEXT NOT NULL DEFAULT 'USD',
                    catalogue_version INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO workspace (id, created_at, client_hash_salt)
                    VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), random());

                CREATE TABLE offers (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL DEFAULT 'link' CHECK (type IN ('link', 'promo_code')),
                    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
                    starts_at INTEGER,
                    ends_at INTEGER,
                    destination_url TEXT,
                    fallback_url TEXT,
                    click_param TEXT NOT NULL DEFAULT 'clk',
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );

                CREATE TABLE links (
                    id INTEGER PRIMARY KEY,
                    offer_id INTEGER NOT NULL REFERENCES offers(id),
                    code TEXT NOT NULL UNIQUE,
                    destination_url TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX links_offer ON links(offer_id);

                CREATE TABLE partners (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT,
                    code TEXT NOT NULL UNIQUE,
                    parent_id INTEGER REFERENCES partners(id),
                    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
                    token_hash BLOB UNIQUE,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX partners_parent ON partners(parent_id);

                CREATE TABLE memberships (
                    offer_id INTEGER NOT NULL REFERENCES offers(id),
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
                    starts_at INTEGER,
                    ends_at INTEGER,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (offer_id, partner_id)
                ) WITHOUT ROWID;
                CREATE INDEX memberships_partner ON memberships(partner_id);

                CREATE TABLE ads (
                    id INTEGER PRIMARY KEY,
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    code TEXT NOT NULL,
                    name TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    UNIQUE (partner_id, code)
                );

                CREATE TABLE api_keys (
                    id INTEGER PRIMARY KEY,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'ops')),
                    key_hash BLOB NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );

                CREATE TABLE clicks (
                    id BLOB PRIMARY KEY,
                    node_id INTEGER NOT NULL,
                    worker_id INTEGER NOT NULL,
                    offer_id INTEGER NOT NULL,
                    link_id INTEGER NOT NULL,
                    credited_partner_id INTEGER NOT NULL,
                    generating_partner_id INTEGER NOT NULL,
                    ad_id INTEGER NOT NULL,
                    outcome INTEGER NOT NULL,
                    flags INTEGER NOT NULL,
                    bot_reason INTEGER NOT NULL,
                    client_hash INTEGER NOT NULL,
                    sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT
                ) WITHOUT ROWID;

                CREATE TABLE click_rollups (
                    minute INTEGER NOT NULL,
                    node_id INTEGER NOT NULL,
                    offer_id INTEGER NOT NULL,
                    link_id INTEGER NOT NULL,
                    generating_partner_id INTEGER NOT NULL,
                    credited_partner_id INTEGER NOT NULL,
                    ad_id INTEGER NOT NULL,
                    clicks INTEGER NOT NULL,
                    billable INTEGER NOT NULL,
                    unique_clicks INTEGER NOT NULL,
                    bot INTEGER NOT NULL,
                    unattributed INTEGER NOT NULL,
                    inactive INTEGER NOT NULL,
                    PRIMARY KEY (minute, node_id, offer_id, link_id, generating_partner_id, credited_partner_id, ad_id)
                ) WITHOUT ROWID;
                """)
            // Anything the edge reads bumps the catalogue version, which the publisher polls.
            for table in ["offers", "links", "partners", "memberships", "ads"] {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_\(event.lowercased())_bumps_catalogue AFTER \(event) ON \(table)
                        BEGIN UPDATE workspace SET catalogue_version = catalogue_version + 1 WHERE id = 1; END
                        """)
                }
            }
        }
        migrator.registerMigration("v2: clicks stored in pages") { db in
            try db.execute(sql: """
                -- A row per page of up to 256 clicks of one batch, sorted by id (see ClickPage).
                CREATE TABLE click_pages (
                    id INTEGER PRIMARY KEY,
                    first_id BLOB NOT NULL UNIQUE,
                    last_id BLOB NOT NULL,
                    node_id INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                """)
            try movePerRowClicksIntoPages(db)
            try db.execute(sql: "DROP TABLE clicks")
        }
        migrator.registerMigration("v3: offer terms, members' codes and tokens, ads, Shopify stores") { db in
            try db.execute(sql: """
                -- Payouts: flat in minor units, percent in basis points (1250 = 12.5 %).
                ALTER TABLE offers ADD COLUMN description TEXT NOT NULL DEFAULT '';
                ALTER TABLE offers ADD COLUMN payout_type TEXT NOT NULL DEFAULT 'flat' CHECK (payout_type IN ('flat', 'percent'));
                ALTER TABLE offers ADD COLUMN payout_value INTEGER NOT NULL DEFAULT 0 CHECK (payout_value >= 0);
                ALTER TABLE offers ADD COLUMN parent_override_bp INTEGER CHECK (parent_override_bp BETWEEN 0 AND 10000);
                ALTER TABLE offers ADD COLUMN attribution_window_days INTEGER NOT NULL DEFAULT 30;
                ALTER TABLE offers ADD COLUMN credit_policy TEXT NOT NULL DEFAULT 'code_first'
                    CHECK (credit_policy IN ('code_first', 'click_first'));
                ALTER TABLE offers ADD COLUMN hold_days INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE offers ADD COLUMN promo TEXT;
                ALTER TABLE offers ADD COLUMN postback_token TEXT;
                CREATE UNIQUE INDEX offers_postback_token ON offers(postback_token);

                ALTER TABLE partners ADD COLUMN updated_at INTEGER;

                -- A member's promo code is upper case and unique in the workspace.
                ALTER TABLE memberships ADD COLUMN payout_type TEXT CHECK (payout_type IN ('flat', 'percent'));
                ALTER TABLE memberships ADD COLUMN payout_value INTEGER CHECK (payout_value >= 0);
                ALTER TABLE memberships ADD COLUMN promo_code TEXT;
                ALTER TABLE memberships ADD COLUMN promo_uses INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE memberships ADD COLUMN dashboard_token TEXT;
                UPDATE memberships SET dashboard_token = 'cld_' || lower(hex(randomblob(32))) WHERE dashboard_token IS NULL;
                CREATE UNIQUE INDEX memberships_promo_code ON memberships(promo_code);
                CREATE UNIQUE INDEX memberships_dashboard_token ON memberships(dashboard_token);

                ALTER TABLE ads ADD COLUMN description TEXT NOT NULL DEFAULT '';
                ALTER TABLE ads ADD COLUMN media_type TEXT;
                ALTER TABLE ads ADD COLUMN starts_at INTEGER;

                -- Partners read their own statistics.
                CREATE INDEX click_rollups_generating ON click_rollups(generating_partner_id, minute);
                CREATE INDEX click_rollups_credited ON click_rollups(credited_partner_id, minute);

                CREATE TABLE shopify_stores (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    shop_domain TEXT NOT NULL UNIQUE,
                    webhook_secret TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: conversions, commissions, payments, Shopify deliveries") { db in
            try db.execute(sql: """
                -- Amounts are minor units of the workspace currency. `minute` is the
                -- conversion's minute since the Unix epoch: rollups are kept by it, and a
                -- reversal or a payment changes the rollup of the conversion's minute.
                CREATE TABLE conversions (
                    id INTEGER PRIMARY KEY,
                    offer_id INTEGER NOT NULL REFERENCES offers(id),
                    order_id TEXT NOT NULL,
                    partner_id INTEGER REFERENCES partners(id),
                    amount INTEGER NOT NULL CHECK (amount >= 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'reversed')),
                    event TEXT,
                    source TEXT NOT NULL CHECK (source IN ('postback', 'shopify')),
                    click_id TEXT,
                    sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
                    candidates TEXT NOT NULL,
                    decision TEXT NOT NULL,
                    minute INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    reversed_at INTEGER,
                    UNIQUE (offer_id, order_id)
                );
                CREATE INDEX conversions_partner ON conversions(partner_id, created_at);
                CREATE INDEX conversions_created ON conversions(created_at);

                CREATE TABLE commissions (
                    id INTEGER PRIMARY KEY,
                    conversion_id INTEGER NOT NULL REFERENCES conversions(id),
                    offer_id INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    amount INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('direct', 'parent_override')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'paid', 'reversed')),
                    available_at INTEGER NOT NULL,
                    minute INTEGER NOT NULL,
                    payment_id INTEGER REFERENCES payments(id),
                    reverses_id INTEGER REFERENCES commissions(id),
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX commissions_conversion ON commissions(conversion_id);
                CREATE INDEX commissions_open ON commissions(status, partner_id) WHERE status IN ('pending', 'approved');

                CREATE TABLE payments (
                    id INTEGER PRIMARY KEY,
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    amount INTEGER NOT NULL CHECK (amount > 0),
                    currency TEXT NOT NULL,
                    offer_id INTEGER,
                    reference TEXT,
                    commissions INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX payments_partner ON payments(partner_id);

                -- Per minute of the conversion, offer and partner: accepted conversions
                -- and their sales for the credited partner, commissions earned and paid
                -- for the partner who earns them.
                CREATE TABLE conversion_rollups (
                    minute INTEGER NOT NULL,
                    offer_id INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL,
                    conversions INTEGER NOT NULL DEFAULT 0,
                    sales INTEGER NOT NULL DEFAULT 0,
                    commissions INTEGER NOT NULL DEFAULT 0,
                    paid INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (minute, offer_id, partner_id)
                ) WITHOUT ROWID;

                -- Every Shopify delivery and order seen, so a repeat changes nothing.
                CREATE TABLE shopify_deliveries (
                    id INTEGER PRIMARY KEY,
                    store_id INTEGER NOT NULL REFERENCES shopify_stores(id),
                    webhook_id TEXT UNIQUE,
                    event_id TEXT UNIQUE,
                    order_id TEXT NOT NULL,
                    conversion_id INTEGER,
                    received_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX shopify_deliveries_order ON shopify_deliveries(store_id, order_id);
                """)
        }
        migrator.registerMigration("v5: daily rollups for reports") { db in
            try db.execute(sql: """
                -- Per UTC day (days since the Unix epoch), kept in the same transactions as
                -- the per-minute rollups, so a report over months reads hundreds of rows
                -- per offer instead of a row per minute and dimension. Reports read whole
                -- days here and the partial days at the ends of a range by the minute.
                CREATE TABLE offer_daily (
                    day INTEGER NOT NULL,
                    offer_id INTEGER NOT NULL,
                    billable INTEGER NOT NULL DEFAULT 0,
                    conversions INTEGER NOT NULL DEFAULT 0,
                    sales INTEGER NOT NULL DEFAULT 0,
                    commissions INTEGER NOT NULL DEFAULT 0,
                    paid INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (day, offer_id)
                ) WITHOUT ROWID;
                -- Conversions per member and day, for the KPIs that count members. Kept in
                -- member order, so counting members is one pass without a hash table.
                CREATE TABLE member_daily (
                    offer_id INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    conversions INTEGER NOT NULL DEFAULT 0,
                    commissions INTEGER NOT NULL DEFAULT 0,
                    paid INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (offer_id, partner_id, day)
                ) WITHOUT ROWID;

                INSERT INTO offer_daily (day, offer_id, billable)
                    SELECT minute / 1440, offer_id, SUM(billable) FROM click_rollups GROUP BY minute / 1440, offer_id;
                INSERT INTO offer_daily (day, offer_id, conversions, sales, commissions, paid)
                    SELECT minute / 1440, offer_id, SUM(conversions), SUM(sales), SUM(commissions), SUM(paid)
                    FROM conversion_rollups GROUP BY minute / 1440, offer_id
                    ON CONFLICT (day, offer_id) DO UPDATE SET conversions = excluded.conversions, sales = excluded.sales,
                        commissions = excluded.commissions, paid = excluded.paid;
                INSERT INTO member_daily (day, offer_id, partner_id, conversions, commissions, paid)
                    SELECT minute / 1440, offer_id, partner_id, SUM(conversions), SUM(commissions), SUM(paid)
                    FROM conversion_rollups WHERE partner_id != 0 GROUP BY minute / 1440, offer_id, partner_id;
                """)
        }
        migrator.registerMigration("v6: clicks and sales per member and day") { db in
            try db.execute(sql: """
                -- The member report reads a member's whole days, not every minute of its offer.
                ALTER TABLE member_daily ADD COLUMN sales INTEGER NOT NULL DEFAULT 0;
                INSERT INTO member_daily (day, offer_id, partner_id, sales)
                    SELECT minute / 1440, offer_id, partner_id, SUM(sales) FROM conversion_rollups
                    WHERE partner_id != 0 GROUP BY minute / 1440, offer_id, partner_id
                    ON CONFLICT (offer_id, partner_id, day) DO UPDATE SET sales = excluded.sales;
                -- Billable clicks per credited member and day. Filled for each day once it is
                -- over, from the per-minute rollups (the click writer compacts finished days),
                -- so that writing clicks costs no more; clicks written later for a day already
                -- compacted are added as they are written.
                CREATE TABLE member_click_daily (
                    offer_id INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    billable INTEGER NOT NULL,
                    PRIMARY KEY (offer_id, partner_id, day)
                ) WITHOUT ROWID;
                -- How far each compaction has got: the last day done.
                CREATE TABLE compaction (
                    name TEXT PRIMARY KEY,
                    through_day INTEGER NOT NULL
                );
                INSERT INTO compaction (name, through_day) VALUES ('member_click_daily', -1);
                """)
        }
        migrator.registerMigration("v7: projects, workflow stages, outbox") { db in
            try db.execute(sql: """
                CREATE TABLE projects (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                -- Positions are 0, 1, 2... within a project; stages that generate are bound
                -- to an offer (possibly after they were added), custom ones never are.
                CREATE TABLE project_stages (
                    id INTEGER PRIMARY KEY,
                    project_id INTEGER NOT NULL REFERENCES projects(id),
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('custom', 'generate_links', 'generate_promo_codes')),
                    offer_id INTEGER REFERENCES offers(id),
                    position INTEGER NOT NULL,
                    CHECK (kind != 'custom' OR offer_id IS NULL)
                );
                CREATE UNIQUE INDEX project_stages_order ON project_stages(project_id, position);
                -- A partner is in one stage of a project at a time.
                CREATE TABLE project_members (
                    project_id INTEGER NOT NULL REFERENCES projects(id),
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    stage_id INTEGER NOT NULL REFERENCES project_stages(id),
                    entered_at INTEGER NOT NULL,
                    PRIMARY KEY (project_id, partner_id)
                ) WITHOUT ROWID;
                CREATE INDEX project_members_stage ON project_members(stage_id);
                -- Emails to members, rendered when asked for and kept until delivered.
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY,
                    offer_id INTEGER REFERENCES offers(id),
                    stage_id INTEGER,
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    recipient TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    sent_at INTEGER
                );
                CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
                """)
        }
        migrator.registerMigration("v8: partners' statistics by the hour instead of indexes on the rollups") { db in
            try db.execute(sql: """
                -- Two indexes by partner on the per-minute rollups made writing clicks three
                -- times slower (each batch touched pages all over them). Partners' statistics
                -- read finished hours from this table instead, and the current hour by the minute.
                DROP INDEX click_rollups_generating;
                DROP INDEX click_rollups_credited;
                CREATE TABLE partner_hourly (
                    partner_id INTEGER NOT NULL,
                    hour INTEGER NOT NULL,
                    link_id INTEGER NOT NULL,
                    credited_partner_id INTEGER NOT NULL,
                    ad_id INTEGER NOT NULL,
                    clicks INTEGER NOT NULL,
                    billable INTEGER NOT NULL,
                    unique_clicks INTEGER NOT NULL,
                    bot INTEGER NOT NULL,
                    unattributed INTEGER NOT NULL,
                    inactive INTEGER NOT NULL,
                    PRIMARY KEY (partner_id, hour, link_id, credited_partner_id, ad_id)
                ) WITHOUT ROWID;
                ALTER TABLE compaction RENAME COLUMN through_day TO through;
                INSERT INTO compaction (name, through) VALUES ('partner_hourly', -1);
                """)
            // What was stored before is compacted once, at the end of v20: the
            // compaction writes the columns of the current schema, which v20 completes.
        }
        migrator.registerMigration("v9: only updates of what the edge reads bump the catalogue version") { db in
            // A promo code's redemption (promo_uses) or a new partner token reloaded every
            // worker's link table; updates now bump the version when they set a column the edge reads.
            let read = [
                "offers": "status, starts_at, ends_at, fallback_url, click_param",
                "partners": "code, parent_id, status",
                "memberships": "offer_id, partner_id, status, starts_at, ends_at",
                "ads": "partner_id, code",
            ]
            for (table, columns) in read.sorted(by: { $0.key < $1.key }) {
                try db.execute(sql: """
                    DROP TRIGGER \(table)_update_bumps_catalogue;
                    CREATE TRIGGER \(table)_update_bumps_catalogue AFTER UPDATE OF \(columns) ON \(table)
                    BEGIN UPDATE workspace SET catalogue_version = catalogue_version + 1 WHERE id = 1; END
                    """)
            }
        }
        migrator.registerMigration("v10: the team, one-time links, browser sessions, submitted forms") { db in
            try db.execute(sql: """
                CREATE TABLE team_members (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'ops', 'viewer')),
                    password_hash TEXT,
                    -- Choices the pages remember for the member, as JSON: the columns it shows.
                    preferences TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL
                );
                -- Sign-in, invite, password reset and partner sign-in links, by the SHA-256 of their secret.
                CREATE TABLE one_time_links (
                    secret_hash BLOB PRIMARY KEY,
                    purpose TEXT NOT NULL CHECK (purpose IN ('sign_in', 'invite', 'password_reset', 'partner_sign_in')),
                    team_member_id INTEGER REFERENCES team_members(id),
                    partner_id INTEGER REFERENCES partners(id),
                    email TEXT NOT NULL,
                    role TEXT CHECK (role IN ('owner', 'admin', 'ops', 'viewer')),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    used_at INTEGER
                ) WITHOUT ROWID;
                CREATE INDEX one_time_links_member ON one_time_links(team_member_id);
                CREATE INDEX one_time_links_open ON one_time_links(purpose, expires_at);
                -- Browser sessions, by the SHA-256 of their cookie's value; a team member's or a partner's.
                CREATE TABLE web_sessions (
                    key_hash BLOB PRIMARY KEY,
                    team_member_id INTEGER REFERENCES team_members(id),
                    partner_id INTEGER REFERENCES partners(id),
                    data BLOB NOT NULL,
                    user_agent TEXT NOT NULL,
                    address TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    CHECK ((team_member_id IS NULL) != (partner_id IS NULL))
                ) WITHOUT ROWID;
                CREATE INDEX web_sessions_team ON web_sessions(team_member_id);
                CREATE INDEX web_sessions_partner ON web_sessions(partner_id);
                CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);
                -- Keys of submitted forms, so a form sent twice does its work once.
                CREATE TABLE form_submissions (
                    key TEXT PRIMARY KEY,
                    location TEXT,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- The outbox carries the team's messages too (invites, sign-in and reset
                -- links), which belong to no partner: partner_id may be NULL now.
                CREATE TABLE outbox_new (
                    id INTEGER PRIMARY KEY,
                    offer_id INTEGER REFERENCES offers(id),
                    stage_id INTEGER,
                    partner_id INTEGER REFERENCES partners(id),
                    recipient TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    sent_at INTEGER
                );
                INSERT INTO outbox_new SELECT id, offer_id, stage_id, partner_id, recipient, subject, body, status, attempts,
                    last_error, next_attempt_at, created_at, sent_at FROM outbox;
                DROP TABLE outbox;
                ALTER TABLE outbox_new RENAME TO outbox;
                CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
                """)
        }
        migrator.registerMigration("v11: link rules and expiry; capped and expired clicks counted apart") { db in
            try db.execute(sql: """
                ALTER TABLE links ADD COLUMN expires_at INTEGER;
                ALTER TABLE links ADD COLUMN expired_url TEXT;
                -- The link's rules as JSON (LinkRule's Codable form), NULL for none.
                ALTER TABLE links ADD COLUMN rules TEXT;
                ALTER TABLE click_rollups ADD COLUMN capped INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE click_rollups ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE partner_hourly ADD COLUMN capped INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE partner_hourly ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
                -- Clicks a link rule chose, per day and variant (rule is the rule's index plus one).
                CREATE TABLE variant_daily (
                    link_id INTEGER NOT NULL,
                    rule INTEGER NOT NULL,
                    variant INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    clicks INTEGER NOT NULL,
                    billable INTEGER NOT NULL,
                    unique_clicks INTEGER NOT NULL,
                    PRIMARY KEY (link_id, rule, variant, day)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v12: link caps, and the clicks counted against them") { db in
            try db.execute(sql: """
                -- The link's caps as JSON (LinkCap's Codable form), NULL for none.
                ALTER TABLE links ADD COLUMN caps TEXT;
                -- Clicks let through per cap and period (0: in total; else the UTC day), all nodes together.
                CREATE TABLE cap_use (
                    link_id INTEGER NOT NULL,
                    cap INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL,
                    period INTEGER NOT NULL,
                    clicks INTEGER NOT NULL,
                    PRIMARY KEY (link_id, cap, partner_id, period)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v13: clicks and conversions by country and device") { db in
            try db.execute(sql: """
                -- Clicks per UTC day, offer, country (CountryCode's raw value, 0: unknown) and device classes (DeviceClass bits).
                CREATE TABLE traffic_daily (
                    day INTEGER NOT NULL,
                    offer_id INTEGER NOT NULL,
                    country INTEGER NOT NULL,
                    devices INTEGER NOT NULL,
                    clicks INTEGER NOT NULL,
                    billable INTEGER NOT NULL,
                    PRIMARY KEY (day, offer_id, country, devices)
                ) WITHOUT ROWID;
                -- The country and device classes of the conversion's click (0 without one).
                ALTER TABLE conversions ADD COLUMN country INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE conversions ADD COLUMN devices INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v14: offers' default rules, caps and expiry for their links") { db in
            try db.execute(sql: """
                -- As links' rules and caps (JSON, NULL for none) and expiry; a link without its own takes these.
                ALTER TABLE offers ADD COLUMN link_rules TEXT;
                ALTER TABLE offers ADD COLUMN link_caps TEXT;
                ALTER TABLE offers ADD COLUMN link_expires_at INTEGER;
                ALTER TABLE offers ADD COLUMN link_expired_url TEXT;
                DROP TRIGGER offers_update_bumps_catalogue;
                CREATE TRIGGER offers_update_bumps_catalogue AFTER UPDATE OF status, starts_at, ends_at, fallback_url, click_param,
                    link_rules, link_caps, link_expires_at, link_expired_url ON offers
                BEGIN UPDATE workspace SET catalogue_version = catalogue_version + 1 WHERE id = 1; END;
                """)
        }
        migrator.registerMigration("v15: conversions keep their click's link, rule and variant") { db in
            try db.execute(sql: """
                -- 0 without a click, and for conversions made before (the variant report reads their click).
                ALTER TABLE conversions ADD COLUMN link_id INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE conversions ADD COLUMN rule INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE conversions ADD COLUMN variant INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX conversions_link ON conversions(link_id) WHERE link_id != 0;
                """)
        }
        migrator.registerMigration("v16: events out: webhook endpoints and partner postbacks, with their deliveries") { db in
            try db.execute(sql: """
                -- Written in the transaction of the change each one reports, with a delivery for each endpoint that wants it.
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    event_key TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    data TEXT NOT NULL
                );
                CREATE INDEX events_created ON events(created_at);
                -- `events` is the types it wants, each between commas: ",conversion.created,link.created,".
                CREATE TABLE event_endpoints (
                    id INTEGER PRIMARY KEY,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
                    -- A webhook signs with its secret; a partner's postback (one at most) renders its URL template.
                    kind TEXT NOT NULL DEFAULT 'webhook' CHECK (kind IN ('webhook', 'postback')),
                    partner_id INTEGER UNIQUE REFERENCES partners(id),
                    method TEXT,
                    secret TEXT NOT NULL,
                    previous_secret TEXT,
                    previous_secret_until INTEGER,
                    failing_since INTEGER,
                    disabled_reason TEXT,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE event_deliveries (
                    id INTEGER PRIMARY KEY,
                    event_id INTEGER NOT NULL REFERENCES events(id),
                    endpoint_id INTEGER NOT NULL REFERENCES event_endpoints(id) ON DELETE CASCADE,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    -- The node whose sender holds it (until next_attempt_at): a node that restarts takes its own back at once.
                    claimed_by INTEGER,
                    -- A postback's request, rendered when its event happened; NULL for webhooks.
                    url TEXT,
                    body TEXT
                );
                CREATE INDEX event_deliveries_due ON event_deliveries(endpoint_id, status, next_attempt_at);
                CREATE TABLE event_attempts (
                    id INTEGER PRIMARY KEY,
                    delivery_id INTEGER NOT NULL REFERENCES event_deliveries(id) ON DELETE CASCADE,
                    endpoint_id INTEGER NOT NULL REFERENCES event_endpoints(id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    started_at INTEGER NOT NULL,
                    status_code INTEGER,
                    latency_ms INTEGER NOT NULL,
                    response TEXT,
                    error TEXT
                );
                CREATE INDEX event_attempts_endpoint ON event_attempts(endpoint_id, id);
                """)
        }
        migrator.registerMigration("v17: events are deleted after their retention, with their deliveries") { db in
            try db.execute(sql: "CREATE INDEX event_deliveries_event ON event_deliveries(event_id)")
        }
        migrator.registerMigration("v18: promo codes flagged as leaked, with their evidence") { db in
            try db.execute(sql: """
                ALTER TABLE memberships ADD COLUMN promo_code_status TEXT NOT NULL DEFAULT 'active'
                    CHECK (promo_code_status IN ('active', 'leaked', 'replaced'));
                -- The evidence: newline-separated reasons, order ids (visible ASCII) and referring domains.
                ALTER TABLE memberships ADD COLUMN leak_flagged_at INTEGER;
                ALTER TABLE memberships ADD COLUMN leak_reasons TEXT;
                ALTER TABLE memberships ADD COLUMN leak_orders TEXT;
                ALTER TABLE memberships ADD COLUMN leak_referrers TEXT;
                ALTER TABLE memberships ADD COLUMN leak_order_count INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE offers ADD COLUMN leaked_code_policy TEXT NOT NULL DEFAULT 'credit'
                    CHECK (leaked_code_policy IN ('credit', 'hold', 'no_commission'));
                -- Redemptions of each member's code per hour (milliseconds / 3,600,000): the spike signal's history.
                CREATE TABLE code_redemption_hours (
                    offer_id INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL,
                    hour INTEGER NOT NULL,
                    orders INTEGER NOT NULL,
                    PRIMARY KEY (offer_id, partner_id, hour)
                ) WITHOUT ROWID;
                -- Why a conversion is suspect: a JSON array of {code, detail}, NULL when it is not.
                ALTER TABLE conversions ADD COLUMN flags TEXT;
                """)
        }
        migrator.registerMigration("v19: the review queue: held and rejected commission lines, and every decision") { db in
            // SQLite cannot change a CHECK constraint: the lines move to a table with the new one.
            try db.execute(sql: """
                CREATE TABLE commissions_v19 (
                    id INTEGER PRIMARY KEY,
                    conversion_id INTEGER NOT NULL REFERENCES conversions(id),
                    offer_id INTEGER NOT NULL,
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    amount INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('direct', 'parent_override')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'paid', 'reversed', 'held', 'rejected')),
                    available_at INTEGER NOT NULL,
                    minute INTEGER NOT NULL,
                    payment_id INTEGER REFERENCES payments(id),
                    reverses_id INTEGER REFERENCES commissions(id),
                    created_at INTEGER NOT NULL
                );
                INSERT INTO commissions_v19 SELECT id, conversion_id, offer_id, partner_id, amount, kind, status, available_at, minute,
                    payment_id, reverses_id, created_at FROM commissions;
                DROP TABLE commissions;
                ALTER TABLE commissions_v19 RENAME TO commissions;
                CREATE INDEX commissions_conversion ON commissions(conversion_id);
                CREATE INDEX commissions_open ON commissions(status, partner_id) WHERE status IN ('pending', 'approved');
                -- null: never in review; held, approved, rejected.
                ALTER TABLE conversions ADD COLUMN review TEXT CHECK (review IN ('held', 'approved', 'rejected'));
                CREATE INDEX conversions_held ON conversions(id) WHERE review = 'held';
                CREATE TABLE conversion_reviews (
                    id INTEGER PRIMARY KEY,
                    conversion_id INTEGER NOT NULL REFERENCES conversions(id),
                    decision TEXT NOT NULL CHECK (decision IN ('held', 'approved', 'rejected')),
                    reason TEXT NOT NULL,
                    decided_by TEXT NOT NULL,
                    decided_at INTEGER NOT NULL
                );
                CREATE INDEX conversion_reviews_conversion ON conversion_reviews(conversion_id);
                """)
        }
        migrator.registerMigration("v20: invalid clicks counted apart; conversions keep their code's partner and customer") { db in
            try db.execute(sql: """
                ALTER TABLE click_rollups ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE partner_hourly ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0;
                -- The member whose promo code the order used, credited or not (the quality report's leaked-code orders).
                ALTER TABLE conversions ADD COLUMN code_partner_id INTEGER;
                -- Hex SHA-256 of the customer's email, when the order named one (never the email itself).
                ALTER TABLE conversions ADD COLUMN customer_hash TEXT;
                -- Of each hour's redemptions of a code: those by a new customer without a click of the code's owner.
                ALTER TABLE code_redemption_hours ADD COLUMN new_unclicked INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX conversions_customer ON conversions(customer_hash, created_at) WHERE customer_hash IS NOT NULL;
                """)
            // What is stored so far is compacted now, once, rather than by the
            // click writer a day's worth at a time (a store that had v8 already
            // has only what the writer has not compacted yet). It writes the
            // columns of the newest schema, so it runs at the end of the newest
            // migration that adds rollup columns.
            try compactEverything(db, now: now())
        }
        migrator.registerMigration("v21: codes given up for new ones, kept so that they credit nobody and are never given again") { db in
            try db.execute(sql: """
                CREATE TABLE replaced_promo_codes (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE,
                    offer_id INTEGER NOT NULL REFERENCES offers(id),
                    partner_id INTEGER NOT NULL REFERENCES partners(id),
                    replaced_at INTEGER NOT NULL,
                    -- The code's leak evidence when it was replaced, as memberships keep it; NULL when it had not leaked.
                    leak_flagged_at INTEGER,
                    leak_reasons TEXT,
                    leak_orders TEXT,
                    leak_referrers TEXT,
                    leak_order_count INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX replaced_promo_codes_member ON replaced_promo_codes(offer_id, partner_id);
                """)
        }
        return migrator
    }

    /// Moves the clicks of the first schema (a row each) into pages, in id order.
    private static func movePerRowClicksIntoPages(_ db: Database) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, node_id, worker_id, offer_id, link_id, credited_partner_id, generating_partner_id, ad_id,
                   outcome, flags, bot_reason, client_hash, sub1, sub2, sub3, sub4, sub5
            FROM clicks ORDER BY node_id, id
            """)
        var batch = ClickBatch()
        var node: Int64 = 0
        func flush() throws {
            for page in ClickPage.pages(of: batch) {
                try db.execute(sql: "INSERT INTO click_pages (first_id, last_id, node_id, count, data) VALUES (?, ?, ?, ?, ?)",
                               arguments: [Data(page.firstID.bigEndianBytes), Data(page.lastID.bigEndianBytes), node,
                                           page.count, Data(page.bytes)])
            }
            batch.removeAll()
        }
        while let row = try rows.next() {
            guard let id = ClickID(bigEndianBytes: [UInt8](row[0] as Data)) else { continue }
            let rowNode: Int64 = row[1]
            if rowNode != node || batch.count == ClickPage.capacity {
                try flush()
                node = rowNode
            }
            let flags = ClickFlags(rawValue: UInt8(row[9] as Int64))
            let record = ClickRecord(
                id: id, clientHash: UInt64(bitPattern: row[11]), offerID: UInt32(row[3] as Int64), linkID: UInt32(row[4] as Int64),
                creditedPartnerID: UInt32(row[5] as Int64), generatingPartnerID: UInt32(row[6] as Int64), adID: UInt32(row[7] as Int64),
                outcome: ClickOutcome(rawValue: UInt8(row[8] as Int64)) ?? .unattributed, flags: flags,
                botReason: BotReason(rawValue: UInt8(row[10] as Int64)), workerID: UInt8(row[2] as Int64))
            var subIDs: SubIDs?
            if flags.contains(.hasSubIDs) {
                var values = SubIDs()
                for index in 0..<SubIDs.count { values.set(index, row[12 + index] as String? ?? "") }
                subIDs = values
            }
            batch.append(record, subIDs: subIDs, unique: flags.contains(.unique))
        }
        try flush()
    }
}
