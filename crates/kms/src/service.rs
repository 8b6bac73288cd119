//! The KMS itself: plain Rust, no HTTP. Every public operation takes the [`Caller`] and a typed
//! request, checks the key policy, enforces the key state, does real cryptography, and appends one
//! audit record whatever the outcome.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use s3lab_durable::AppendLog;
use s3lab_env::Env;
use s3lab_iam::Identity;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::api::*;
use crate::audit::{AuditQuery, AuditRecord, Resource, UserIdentity};
use crate::authz;
use crate::blob::{self, uuid_bytes, BlobHeader};
use crate::error::{KmsError, Violations};
use crate::model::*;
use crate::store::{self, AliasFile, KeyFile, MaterialFile, RootKey, StateFile, StoreError};

pub const MAX_PLAINTEXT: usize = 4096;
pub const MAX_CIPHERTEXT: usize = 6144;
pub const MAX_POLICY: usize = 32768;
pub const MAX_ON_DEMAND_ROTATIONS: u32 = 25;
pub const DEFAULT_ROTATION_DAYS: u32 = 365;
const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";

/// Where this KMS lives.
#[derive(Debug, Clone)]
pub struct KmsConfig {
    pub region: String,
    pub account_id: String,
}

impl Default for KmsConfig {
    fn default() -> Self {
        KmsConfig {
            region: "us-east-1".into(),
            account_id: "111122223333".into(),
        }
    }
}

/// Who is calling, and how. S3 calling on a user's behalf passes the user's identity and
/// `invoked_by: Some("s3.amazonaws.com")`, which is what the audit trail and `kms:ViaService` show.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub identity: &'a Identity,
    pub source_ip: String,
    pub user_agent: String,
    pub invoked_by: Option<String>,
    pub secure_transport: bool,
}

impl<'a> Caller<'a> {
    pub fn direct(
        identity: &'a Identity,
        source_ip: impl Into<String>,
        user_agent: impl Into<String>,
        secure: bool,
    ) -> Self {
        Caller {
            identity,
            source_ip: source_ip.into(),
            user_agent: user_agent.into(),
            invoked_by: None,
            secure_transport: secure,
        }
    }

    /// A call that an AWS service (`"s3.amazonaws.com"`) makes on the identity's behalf.
    pub fn via_service(identity: &'a Identity, service_host: &str) -> Self {
        Caller {
            identity,
            source_ip: service_host.into(),
            user_agent: service_host.into(),
            invoked_by: Some(service_host.into()),
            secure_transport: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KmsOpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one call contributes to its audit record besides caller and outcome.
#[derive(Default)]
struct Trail {
    resources: Vec<String>,
    material_id: Option<String>,
    response: Option<Value>,
}

struct Inner {
    state: StateFile,
    root: RootKey,
    dir: Option<PathBuf>,
    audit: Vec<AuditRecord>,
    log: Option<AppendLog>,
}

/// The mock KMS. Cheap to share behind an `Arc`; all state sits behind one lock.
pub struct Kms {
    config: KmsConfig,
    env: Env,
    inner: Mutex<Inner>,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // Operations mutate a copy-on-failure state (see `call`), so a panic cannot leave it half done.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn fmt_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn is_uuid(s: &str) -> bool {
    uuid_bytes::parse(s).is_some()
}

fn current_material(key: &KeyFile) -> Result<&MaterialFile, KmsError> {
    key.materials
        .last()
        .ok_or_else(|| KmsError::Internal(format!("key {} has no key material", key.id)))
}

impl Kms {
    /// Opens the KMS kept in `dir`, or creates it there; `None` keeps everything in memory.
    pub fn open(dir: Option<&Path>, config: KmsConfig, env: Env) -> Result<Kms, KmsOpenError> {
        let inner = match dir {
            None => Inner {
                state: StateFile::empty(),
                root: RootKey::new(env.entropy.array()),
                dir: None,
                audit: Vec::new(),
                log: None,
            },
            Some(dir) => Self::load(dir, &env)?,
        };
        Ok(Kms {
            config,
            env,
            inner: Mutex::new(inner),
        })
    }

    fn load(dir: &Path, env: &Env) -> Result<Inner, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let state = store::load_state(dir)?;
        let root = match (store::load_root_key(dir)?, &state) {
            (Some(root), _) => root,
            (None, None) => {
                let bytes: [u8; 32] = env.entropy.array();
                store::save_root_key(dir, &bytes)?;
                RootKey::new(bytes)
            }
            (None, Some(_)) => {
                return Err(StoreError::Corrupt {
                    path: dir.join(store::ROOT_KEY_FILE),
                    reason: format!(
                        "missing, but {} exists: without it no key material can be unwrapped",
                        store::STATE_FILE
                    ),
                })
            }
        };
        if state.is_some() {
            // A seeded lab restarted on existing state continues its random stream from that state
            // instead of replaying it (which would repeat key ids and nonces).
            let raw = std::fs::read(dir.join(store::STATE_FILE)).unwrap_or_default();
            env.entropy.mix(&raw);
        }
        let state = state.unwrap_or_else(StateFile::empty);
        for key in &state.keys {
            for m in &key.materials {
                root.unwrap(&key.id, &m.id, &m.wrapped)
                    .map_err(|reason| StoreError::Corrupt {
                        path: dir.join(store::STATE_FILE),
                        reason,
                    })?;
            }
        }
        let log_path = dir.join(store::AUDIT_FILE);
        let (log, recovered) = AppendLog::open(&log_path).map_err(|source| StoreError::Read {
            path: log_path.clone(),
            source,
        })?;
        if recovered.torn_tail_bytes > 0 {
            tracing::warn!(path = %log_path.display(), bytes = recovered.torn_tail_bytes, "dropped an audit record cut short by a crash");
        }
        let mut audit = Vec::with_capacity(recovered.lines.len());
        for (i, line) in recovered.lines.iter().enumerate() {
            let record = serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
                path: log_path.clone(),
                reason: format!("line {}: {e}", i + 1),
            })?;
            audit.push(record);
        }
        // A simulated clock starts where the lab's history left off, so time never runs backwards
        // across a restart.
        if let Some(last) = audit
            .last()
            .and_then(|r: &AuditRecord| OffsetDateTime::parse(&r.event_time, &Rfc3339).ok())
        {
            let now = env.clock.now();
            if last > now {
                let _ = env.clock.advance(last - now);
            }
        }
        Ok(Inner {
            state,
            root,
            dir: Some(dir.to_path_buf()),
            audit,
            log: Some(log),
        })
    }

    pub fn config(&self) -> &KmsConfig {
        &self.config
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    pub fn key_arn(&self, key_id: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{key_id}",
            self.config.region, self.config.account_id
        )
    }

    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!(
            "arn:aws:kms:{}:{}:{alias_name}",
            self.config.region, self.config.account_id
        )
    }

    // ----- audit trail -----

    /// How many records the trail holds: a cursor for [`AuditQuery::since`].
    pub fn audit_len(&self) -> usize {
        lock(&self.inner).audit.len()
    }

    pub fn audit(&self, query: &AuditQuery) -> Vec<AuditRecord> {
        let inner = lock(&self.inner);
        inner
            .audit
            .iter()
            .skip(query.since)
            .filter(|r| query.matches(r))
            .cloned()
            .collect()
    }

    // ----- the call wrapper -----

    /// Runs one operation: housekeeping first (deletions and rotations that fell due), then `f`,
    /// then saving (for `mutating` operations; on failure the old state is restored), then the
    /// audit record.
    #[allow(clippy::too_many_arguments)]
    fn call<T>(
        &self,
        caller: &Caller,
        event: &str,
        params: Value,
        read_only: bool,
        mutating: bool,
        f: impl FnOnce(&Self, &mut Inner, &mut Trail, OffsetDateTime) -> Result<T, KmsError>,
    ) -> Result<T, KmsError> {
        let mut inner = lock(&self.inner);
        let now = self.env.now();
        self.housekeeping(&mut inner, now);
        let backup = mutating.then(|| inner.state.clone());
        let mut trail = Trail::default();
        let mut result = f(self, &mut inner, &mut trail, now);
        if let (Some(backup), true) = (backup, result.is_ok()) {
            if let Err(e) = inner.save() {
                tracing::error!(error = %e, "could not save the KMS state; the change is undone");
                inner.state = backup;
                result = Err(KmsError::Internal(
                    "KMS could not save its state; the request was not applied.".into(),
                ));
            }
        }
        let record = self.record(
            Some(caller),
            event,
            params,
            read_only,
            &trail,
            result.as_ref().err(),
            now,
        );
        inner.append_audit(record);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        caller: Option<&Caller>,
        event: &str,
        params: Value,
        read_only: bool,
        trail: &Trail,
        error: Option<&KmsError>,
        now: OffsetDateTime,
    ) -> AuditRecord {
        let account = self.config.account_id.clone();
        let user_identity = match caller {
            Some(c) => UserIdentity {
                kind: "IAMUser".into(),
                principal_id: Some(principal_id(&c.identity.arn)),
                arn: Some(c.identity.arn.clone()),
                account_id: c.identity.account_id.clone(),
                access_key_id: Some(c.identity.access_key_id.clone()),
                user_name: Some(c.identity.name.clone()),
                invoked_by: c.invoked_by.clone(),
            },
            None => UserIdentity {
                kind: "AWSService".into(),
                principal_id: None,
                arn: None,
                account_id: account.clone(),
                access_key_id: None,
                user_name: None,
                invoked_by: Some("kms.amazonaws.com".into()),
            },
        };
        let (source_ip, user_agent) = match caller {
            Some(c) => (c.source_ip.clone(), c.user_agent.clone()),
            None => ("kms.amazonaws.com".into(), "kms.amazonaws.com".into()),
        };
        AuditRecord {
            event_version: "1.11".into(),
            user_identity,
            event_time: fmt_time(now),
            event_source: "kms.amazonaws.com".into(),
            event_name: event.into(),
            aws_region: self.config.region.clone(),
            source_ip_address: source_ip,
            user_agent,
            error_code: error.map(|e| e.type_name().into()),
            error_message: error.map(KmsError::message).filter(|m| !m.is_empty()),
            request_parameters: params,
            response_elements: trail.response.clone().unwrap_or(Value::Null),
            additional_event_data: trail
                .material_id
                .as_ref()
                .map(|m| json!({ "keyMaterialId": m })),
            request_id: self.env.entropy.uuid().to_string(),
            event_id: self.env.entropy.uuid().to_string(),
            read_only,
            resources: trail
                .resources
                .iter()
                .map(|arn| Resource {
                    account_id: account.clone(),
                    kind: "AWS::KMS::Key".into(),
                    arn: arn.clone(),
                })
                .collect(),
            event_type: if caller.is_some() {
                "AwsApiCall".into()
            } else {
                "AwsServiceEvent".into()
            },
            management_event: true,
            recipient_account_id: account,
            event_category: "Management".into(),
        }
    }

    /// Time-driven changes: keys whose deletion window ended are deleted, and automatic rotations
    /// that fell due happen, each with its own service event in the trail.
    fn housekeeping(&self, inner: &mut Inner, now: OffsetDateTime) {
        // Every request passes here; most find nothing due, and need no copy of the state.
        let due = |k: &crate::store::KeyFile| {
            (k.state == KeyState::PendingDeletion && k.deletion_date.is_some_and(|d| d <= now))
                || (k.state == KeyState::Enabled
                    && k.rotation_enabled
                    && k.next_rotation.is_some_and(|t| t <= now))
        };
        if !inner.state.keys.iter().any(due) {
            return;
        }
        let mut events = Vec::new();
        let before = inner.state.clone();
        let due: Vec<String> = inner
            .state
            .keys
            .iter()
            .filter(|k| {
                k.state == KeyState::PendingDeletion && k.deletion_date.is_some_and(|d| d <= now)
            })
            .map(|k| k.id.clone())
            .collect();
        for id in due {
            inner.state.keys.retain(|k| k.id != id);
            inner.state.aliases.retain(|a| a.target_key_id != id);
            let trail = Trail {
                resources: vec![self.key_arn(&id)],
                ..Trail::default()
            };
            events.push(self.record(
                None,
                "DeleteKey",
                json!({ "keyId": self.key_arn(&id) }),
                false,
                &trail,
                None,
                now,
            ));
        }
        for i in 0..inner.state.keys.len() {
            // Bounded: a clock moved far ahead rotates at most this many times per key at once.
            for _ in 0..64 {
                let key = &inner.state.keys[i];
                let due = key.state == KeyState::Enabled
                    && key.rotation_enabled
                    && key.next_rotation.is_some_and(|t| t <= now);
                if !due {
                    break;
                }
                let at = key.next_rotation.unwrap_or(now);
                let period = key.rotation_period_days.unwrap_or(DEFAULT_ROTATION_DAYS);
                match self.add_material(inner, i, at, RotationType::Automatic) {
                    Ok(material_id) => {
                        let key = &mut inner.state.keys[i];
                        key.next_rotation = Some(at + Duration::days(i64::from(period)));
                        let trail = Trail {
                            resources: vec![self.key_arn(&key.id)],
                            material_id: Some(material_id),
                            response: None,
                        };
                        events.push(self.record(
                            None,
                            "RotateKey",
                            Value::Null,
                            false,
                            &trail,
                            None,
                            at,
                        ));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "automatic rotation failed");
                        break;
                    }
                }
            }
        }
        if events.is_empty() {
            return;
        }
        if let Err(e) = inner.save() {
            tracing::error!(error = %e, "could not save scheduled KMS changes; they will be retried");
            inner.state = before;
            return;
        }
        for e in events {
            inner.append_audit(e);
        }
    }

    /// Adds fresh material to symmetric key `i` and makes it current. Returns its id.
    fn add_material(
        &self,
        inner: &mut Inner,
        i: usize,
        at: OffsetDateTime,
        kind: RotationType,
    ) -> Result<String, KmsError> {
        let secret = Zeroizing::new(self.env.entropy.array::<32>());
        let key_id = inner.state.keys[i].id.clone();
        let m = self.wrap_material(&inner.root, &key_id, secret.as_ref(), at, Some(kind))?;
        let id = m.id.clone();
        inner.state.keys[i].materials.push(m);
        Ok(id)
    }

    fn wrap_material(
        &self,
        root: &RootKey,
        key_id: &str,
        secret: &[u8],
        at: OffsetDateTime,
        kind: Option<RotationType>,
    ) -> Result<MaterialFile, KmsError> {
        let id = hex::encode(self.env.entropy.array::<32>());
        let wrapped = root
            .wrap(self.env.entropy.array(), key_id, &id, secret)
            .map_err(KmsError::Internal)?;
        Ok(MaterialFile {
            id,
            created: at,
            rotation_type: kind,
            wrapped,
        })
    }

    // ----- key lookup and checks -----

    /// Resolves a key id, key ARN, alias name or alias ARN to the index of the key.
    fn resolve(&self, inner: &Inner, key_ref: &str) -> Result<usize, KmsError> {
        let by_id = |id: &str| inner.state.keys.iter().position(|k| k.id == id);
        let alias_target = |name: &str| {
            inner
                .state
                .aliases
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.target_key_id.clone())
                .ok_or_else(|| {
                    KmsError::NotFound(format!("Alias {} is not found.", self.alias_arn(name)))
                })
        };
        let id = if let Some(rest) = key_ref.strip_prefix("arn:") {
            // arn:aws:kms:REGION:ACCOUNT:key/ID or ...:alias/NAME
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() != 5 || parts[0] != "aws" || parts[1] != "kms" {
                return Err(KmsError::NotFound(format!("Invalid arn {key_ref}")));
            }
            if parts[2] != self.config.region {
                return Err(KmsError::NotFound(format!("Invalid arn {}", parts[2])));
            }
            if parts[3] != self.config.account_id {
                return Err(KmsError::key_not_found(key_ref));
            }
            if let Some(id) = parts[4].strip_prefix("key/") {
                id.to_owned()
            } else if parts[4].starts_with("alias/") {
                alias_target(parts[4])?
            } else {
                return Err(KmsError::NotFound(format!("Invalid arn {key_ref}")));
            }
        } else if key_ref.starts_with("alias/") {
            alias_target(key_ref)?
        } else if is_uuid(key_ref) {
            key_ref.to_owned()
        } else {
            return Err(KmsError::NotFound(format!("Invalid keyId '{key_ref}'")));
        };
        by_id(&id).ok_or_else(|| KmsError::key_not_found(&self.key_arn(&id)))
    }

    /// Resolves a request's `KeyId`, names the key in the audit record, and checks the key policy
    /// for `action`: the opening of every operation on one key.
    fn authorized_key(
        &self,
        inner: &Inner,
        trail: &mut Trail,
        caller: &Caller,
        key_id: Option<&str>,
        action: &str,
        ctx: Option<&EncryptionContext>,
    ) -> Result<usize, KmsError> {
        let i = self.resolve(inner, require_key_id(key_id)?)?;
        let key = &inner.state.keys[i];
        trail.resources.push(self.key_arn(&key.id));
        self.authorize(caller, key, action, ctx)?;
        Ok(i)
    }

    fn authorize(
        &self,
        caller: &Caller,
        key: &KeyFile,
        action: &str,
        ctx: Option<&EncryptionContext>,
    ) -> Result<(), KmsError> {
        let resource = self.key_arn(&key.id);
        authz::check_key_policy(&key.policy, caller, action, &resource, ctx, &self.config)
    }

    fn authorize_account(&self, caller: &Caller, action: &str) -> Result<(), KmsError> {
        let resource = format!(
            "arn:aws:kms:{}:{}:*",
            self.config.region, self.config.account_id
        );
        authz::check_identity_only(caller, action, &resource)
    }

    fn usable(&self, key: &KeyFile) -> Result<(), KmsError> {
        match key.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(KmsError::Disabled(self.key_arn(&key.id))),
            KeyState::PendingDeletion => Err(KmsError::pending_deletion(&self.key_arn(&key.id))),
        }
    }

    fn not_pending_deletion(&self, key: &KeyFile) -> Result<(), KmsError> {
        match key.state {
            KeyState::PendingDeletion => Err(KmsError::pending_deletion(&self.key_arn(&key.id))),
            _ => Ok(()),
        }
    }

    pub fn key_metadata(&self, key: &KeyFile) -> KeyMetadata {
        KeyMetadata {
            aws_account_id: self.config.account_id.clone(),
            key_id: key.id.clone(),
            arn: self.key_arn(&key.id),
            creation_date: key.created,
            enabled: key.state == KeyState::Enabled,
            description: key.description.clone(),
            key_usage: key.key_usage.as_str().into(),
            key_state: key.state.as_str().into(),
            deletion_date: key.deletion_date,
            origin: key.origin.as_str().into(),
            key_manager: key.key_manager.as_str().into(),
            customer_master_key_spec: key.key_spec.as_str().into(),
            key_spec: key.key_spec.as_str().into(),
            encryption_algorithms: key
                .key_spec
                .encryption_algorithms(key.key_usage)
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            signing_algorithms: key
                .key_spec
                .signing_algorithms(key.key_usage)
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            multi_region: false,
            pending_deletion_window_in_days: key
                .pending_window_days
                .filter(|_| key.state == KeyState::PendingDeletion),
            current_key_material_id: key
                .key_spec
                .is_symmetric()
                .then(|| key.materials.last().map(|m| m.id.clone()))
                .flatten(),
        }
    }

    // ----- key management -----

    pub fn create_key(
        &self,
        caller: &Caller,
        req: CreateKeyRequest,
    ) -> Result<KeyMetadataResponse, KmsError> {
        let params = json!({
            "description": req.description,
            "keyUsage": req.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT"),
            "keySpec": req.key_spec.as_deref().or(req.customer_master_key_spec.as_deref()).unwrap_or("SYMMETRIC_DEFAULT"),
            "origin": req.origin.as_deref().unwrap_or("AWS_KMS"),
            "bypassPolicyLockoutSafetyCheck": req.bypass_policy_lockout_safety_check.unwrap_or(false),
            "multiRegion": req.multi_region.unwrap_or(false),
        });
        let validated = self.validate_create(caller, &req);
        // RSA key generation takes a while; do it before taking the lock.
        let rsa_der = match &validated {
            Ok((spec, _, _)) if !spec.is_symmetric() => Some(self.generate_rsa(*spec)),
            _ => None,
        };
        self.call(
            caller,
            "CreateKey",
            params,
            false,
            true,
            move |kms, inner, trail, now| {
                let (spec, usage, policy) = validated?;
                let id = kms.env.entropy.uuid().to_string();
                let secret = match rsa_der {
                    Some(der) => der?,
                    None => Zeroizing::new(kms.env.entropy.array::<32>().to_vec()),
                };
                let material = kms.wrap_material(&inner.root, &id, &secret, now, None)?;
                let key = KeyFile {
                    id: id.clone(),
                    description: req.description.clone().unwrap_or_default(),
                    key_usage: usage,
                    key_spec: spec,
                    key_manager: KeyManager::Customer,
                    origin: Origin::AwsKms,
                    created: now,
                    state: KeyState::Enabled,
                    deletion_date: None,
                    pending_window_days: None,
                    policy,
                    rotation_enabled: false,
                    rotation_period_days: None,
                    next_rotation: None,
                    on_demand_rotations: 0,
                    aws_service: None,
                    materials: vec![material],
                };
                let metadata = kms.key_metadata(&key);
                inner.state.keys.push(key);
                trail.resources.push(kms.key_arn(&id));
                trail.response = serde_json::to_value(KeyMetadataResponse {
                    key_metadata: metadata.clone(),
                })
                .ok()
                .map(|v| lower_first_keys(&v));
                Ok(KeyMetadataResponse {
                    key_metadata: metadata,
                })
            },
        )
    }

    fn validate_create(
        &self,
        caller: &Caller,
        req: &CreateKeyRequest,
    ) -> Result<(KeySpec, KeyUsage, String), KmsError> {
        let mut v = Violations::default();
        let spec_text = req
            .key_spec
            .as_deref()
            .or(req.customer_master_key_spec.as_deref());
        let spec = match spec_text {
            None => Some(KeySpec::SymmetricDefault),
            Some(s) => {
                let parsed = KeySpec::parse(s);
                if parsed.is_none() {
                    v.add(
                        Some(s),
                        "keySpec",
                        &format!(
                            "Member must satisfy enum value set: {}",
                            KeySpec::enum_set()
                        ),
                    );
                }
                parsed
            }
        };
        let usage = match req.key_usage.as_deref() {
            None => Some(KeyUsage::EncryptDecrypt),
            Some(s) => {
                let parsed = KeyUsage::parse(s);
                if parsed.is_none() {
                    v.add(
                        Some(s),
                        "keyUsage",
                        &format!(
                            "Member must satisfy enum value set: {}",
                            KeyUsage::enum_set()
                        ),
                    );
                }
                parsed
            }
        };
        if let Some(d) = &req.description {
            if d.chars().count() > 8192 {
                v.add(
                    Some(d),
                    "description",
                    "Member must have length less than or equal to 8192",
                );
            }
        }
        match &req.policy {
            Some(p) if p.is_empty() => v.add(
                None,
                "policy",
                "Member must have length greater than or equal to 1",
            ),
            Some(p) if p.len() > MAX_POLICY => v.add(
                None,
                "policy",
                "Member must have length less than or equal to 32768",
            ),
            _ => {}
        }
        v.into_result()?;
        let (Some(spec), Some(usage)) = (spec, usage) else {
            return Err(KmsError::Internal(
                "validation let an invalid enum through".into(),
            ));
        };
        if let Some(origin) = req.origin.as_deref() {
            if origin != "AWS_KMS" {
                return Err(KmsError::Unsupported(format!(
                    "Origin {origin} is not supported by s3lab's KMS: it models keys whose material KMS generates (AWS_KMS)."
                )));
            }
        }
        if req.multi_region == Some(true) {
            return Err(KmsError::Unsupported(
                "s3lab's KMS does not model multi-Region keys.".into(),
            ));
        }
        if req.custom_key_store_id.is_some() {
            return Err(KmsError::Unsupported(
                "s3lab's KMS does not model custom key stores.".into(),
            ));
        }
        if spec.is_symmetric() && usage != KeyUsage::EncryptDecrypt {
            // [unsure] wording; AWS refuses SIGN_VERIFY for symmetric keys with a ValidationException.
            return Err(KmsError::Validation(format!(
                "KeyUsage {} is not compatible with KeySpec {}",
                usage.as_str(),
                spec.as_str()
            )));
        }
        let policy = match &req.policy {
            Some(p) => {
                authz::validate_policy(p)?;
                if !req.bypass_policy_lockout_safety_check.unwrap_or(false) {
                    authz::lockout_check(p, caller, &self.config)?;
                }
                p.clone()
            }
            None => s3lab_iam::default_kms_key_policy(&self.config.account_id),
        };
        Ok((spec, usage, policy))
    }

    fn generate_rsa(&self, spec: KeySpec) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let bits = spec.rsa_bits().unwrap_or(2048);
        let mut rng = self.env.entropy.clone();
        let key = RsaPrivateKey::new(&mut rng, bits)
            .map_err(|e| KmsError::Internal(format!("RSA key generation failed: {e}")))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| KmsError::Internal(format!("RSA key encoding failed: {e}")))?;
        Ok(Zeroizing::new(der.as_bytes().to_vec()))
    }

    /// The AWS managed key of a service (`alias/aws/s3` for `"s3"`), created on first use as AWS
    /// does. Only services call this; users cannot create `alias/aws/...` names.
    pub fn aws_managed_key(&self, caller: &Caller, service: &str) -> Result<String, KmsError> {
        let alias = format!("alias/aws/{service}");
        {
            let inner = lock(&self.inner);
            if let Some(a) = inner.state.aliases.iter().find(|a| a.name == alias) {
                return Ok(self.key_arn(&a.target_key_id));
            }
        }
        let params = json!({ "description": format!("Default key that protects my {service} objects when no other key is defined"), "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS" });
        self.call(
            caller,
            "CreateKey",
            params,
            false,
            true,
            |kms, inner, trail, now| {
                // Another request may have created it while we waited for the lock.
                if let Some(a) = inner.state.aliases.iter().find(|a| a.name == alias) {
                    return Ok(kms.key_arn(&a.target_key_id));
                }
                let id = kms.env.entropy.uuid().to_string();
                let secret = Zeroizing::new(kms.env.entropy.array::<32>().to_vec());
                let material = kms.wrap_material(&inner.root, &id, &secret, now, None)?;
                inner.state.keys.push(KeyFile {
                    id: id.clone(),
                    description: format!(
                        "Default key that protects my {} objects when no other key is defined",
                        service.to_uppercase()
                    ),
                    key_usage: KeyUsage::EncryptDecrypt,
                    key_spec: KeySpec::SymmetricDefault,
                    key_manager: KeyManager::Aws,
                    origin: Origin::AwsKms,
                    created: now,
                    state: KeyState::Enabled,
                    deletion_date: None,
                    pending_window_days: None,
                    policy: authz::aws_managed_key_policy(service, &kms.config),
                    // AWS managed keys rotate every year, and nobody can turn that off.
                    rotation_enabled: true,
                    rotation_period_days: Some(DEFAULT_ROTATION_DAYS),
                    next_rotation: Some(now + Duration::days(i64::from(DEFAULT_ROTATION_DAYS))),
                    on_demand_rotations: 0,
                    aws_service: Some(service.into()),
                    materials: vec![material],
                });
                inner.state.aliases.push(AliasFile {
                    name: alias.clone(),
                    target_key_id: id.clone(),
                    created: now,
                    updated: now,
                });
                trail.resources.push(kms.key_arn(&id));
                Ok(kms.key_arn(&id))
            },
        )
    }

    pub fn describe_key(
        &self,
        caller: &Caller,
        req: KeyIdRequest,
    ) -> Result<KeyMetadataResponse, KmsError> {
        let params = json!({ "keyId": req.key_id });
        self.call(
            caller,
            "DescribeKey",
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let key_ref = require_key_id(req.key_id.as_deref())?;
                let key = &inner.state.keys[kms.resolve(inner, key_ref)?];
                trail.resources.push(kms.key_arn(&key.id));
                kms.authorize(caller, key, "kms:DescribeKey", None)?;
                Ok(KeyMetadataResponse {
                    key_metadata: kms.key_metadata(key),
                })
            },
        )
    }

    pub fn list_keys(
        &self,
        caller: &Caller,
        req: ListRequest,
    ) -> Result<ListKeysResponse, KmsError> {
        let params = json!({ "limit": req.limit, "marker": req.marker });
        self.call(
            caller,
            "ListKeys",
            params,
            true,
            false,
            |kms, inner, _, _| {
                let (start, limit) = page(req.limit, req.marker.as_deref(), 1000, 100)?;
                kms.authorize_account(caller, "kms:ListKeys")?;
                let all: Vec<KeyListEntry> = inner
                    .state
                    .keys
                    .iter()
                    .map(|k| KeyListEntry {
                        key_id: k.id.clone(),
                        key_arn: kms.key_arn(&k.id),
                    })
                    .collect();
                let (keys, next_marker) = slice_page(all, start, limit);
                Ok(ListKeysResponse {
                    truncated: next_marker.is_some(),
                    keys,
                    next_marker,
                })
            },
        )
    }

    pub fn enable_key(&self, caller: &Caller, req: KeyIdRequest) -> Result<Empty, KmsError> {
        self.set_enabled(caller, req, true)
    }

    pub fn disable_key(&self, caller: &Caller, req: KeyIdRequest) -> Result<Empty, KmsError> {
        self.set_enabled(caller, req, false)
    }

    fn set_enabled(
        &self,
        caller: &Caller,
        req: KeyIdRequest,
        enable: bool,
    ) -> Result<Empty, KmsError> {
        let (event, action) = if enable {
            ("EnableKey", "kms:EnableKey")
        } else {
            ("DisableKey", "kms:DisableKey")
        };
        self.call(
            caller,
            event,
            json!({ "keyId": req.key_id }),
            false,
            true,
            |kms, inner, trail, _| {
                let i =
                    kms.authorized_key(inner, trail, caller, req.key_id.as_deref(), action, None)?;
                let key = &inner.state.keys[i];
                kms.not_pending_deletion(key)?;
                inner.state.keys[i].state = if enable {
                    KeyState::Enabled
                } else {
                    KeyState::Disabled
                };
                Ok(Empty {})
            },
        )
    }

    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        req: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse, KmsError> {
        let params =
            json!({ "keyId": req.key_id, "pendingWindowInDays": req.pending_window_in_days });
        self.call(
            caller,
            "ScheduleKeyDeletion",
            params,
            false,
            true,
            |kms, inner, trail, now| {
                let mut v = Violations::default();
                if req.key_id.is_none() {
                    v.null("keyId");
                }
                let days = req.pending_window_in_days.unwrap_or(30);
                range_check(&mut v, "pendingWindowInDays", days, 7, 30);
                v.into_result()?;
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:ScheduleKeyDeletion",
                    None,
                )?;
                let key = &inner.state.keys[i];
                kms.not_pending_deletion(key)?;
                let days = u32::try_from(days).unwrap_or(30);
                let when = now + Duration::days(i64::from(days));
                let key = &mut inner.state.keys[i];
                key.state = KeyState::PendingDeletion;
                key.deletion_date = Some(when);
                key.pending_window_days = Some(days);
                Ok(ScheduleKeyDeletionResponse {
                    key_id: kms.key_arn(&key.id),
                    deletion_date: when,
                    key_state: KeyState::PendingDeletion.as_str().into(),
                    pending_window_in_days: days,
                })
            },
        )
    }

    pub fn cancel_key_deletion(
        &self,
        caller: &Caller,
        req: KeyIdRequest,
    ) -> Result<KeyIdResponse, KmsError> {
        self.call(
            caller,
            "CancelKeyDeletion",
            json!({ "keyId": req.key_id }),
            false,
            true,
            |kms, inner, trail, _| {
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:CancelKeyDeletion",
                    None,
                )?;
                let key = &inner.state.keys[i];
                let arn = kms.key_arn(&key.id);
                if key.state != KeyState::PendingDeletion {
                    return Err(KmsError::InvalidState(format!(
                        "{arn} is not pending deletion."
                    )));
                }
                let key = &mut inner.state.keys[i];
                // A cancelled deletion leaves the key Disabled: it must be enabled again on purpose.
                key.state = KeyState::Disabled;
                key.deletion_date = None;
                key.pending_window_days = None;
                Ok(KeyIdResponse { key_id: arn })
            },
        )
    }

    // ----- aliases -----

    pub fn create_alias(&self, caller: &Caller, req: AliasRequest) -> Result<Empty, KmsError> {
        let params = json!({ "aliasName": req.alias_name, "targetKeyId": req.target_key_id });
        self.call(
            caller,
            "CreateAlias",
            params,
            false,
            true,
            |kms, inner, trail, now| {
                let name =
                    validate_alias_name(req.alias_name.as_deref(), req.target_key_id.is_none())?;
                if name.starts_with("alias/aws/") {
                    // [unsure] exact wording; AWS reserves the prefix for AWS managed keys.
                    return Err(KmsError::NotAuthorized(
                        "Cannot create alias with prefix 'alias/aws/'".into(),
                    ));
                }
                let i = kms.resolve_alias_target(inner, req.target_key_id.as_deref())?;
                let key = &inner.state.keys[i];
                trail.resources.push(kms.key_arn(&key.id));
                kms.authorize(caller, key, "kms:CreateAlias", None)?;
                kms.not_pending_deletion(key)?;
                if inner.state.aliases.iter().any(|a| a.name == name) {
                    return Err(KmsError::AlreadyExists(format!(
                        "An alias with the name {} already exists",
                        kms.alias_arn(&name)
                    )));
                }
                let target = key.id.clone();
                inner.state.aliases.push(AliasFile {
                    name,
                    target_key_id: target,
                    created: now,
                    updated: now,
                });
                Ok(Empty {})
            },
        )
    }

    /// Alias targets must be key ids or key ARNs, not other aliases.
    fn resolve_alias_target(&self, inner: &Inner, target: Option<&str>) -> Result<usize, KmsError> {
        let target = target.ok_or_else(|| {
            KmsError::Validation(
                "1 validation error detected: Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null".into(),
            )
        })?;
        if target.starts_with("alias/") || target.contains(":alias/") {
            return Err(KmsError::Validation(format!(
                "Aliases must refer to keys. Not aliases: {target}"
            )));
        }
        let i = self.resolve(inner, target)?;
        if inner.state.keys[i].key_manager == KeyManager::Aws {
            return Err(KmsError::NotAuthorized(
                "You cannot associate an alias with an AWS managed key.".into(),
            ));
        }
        Ok(i)
    }

    pub fn update_alias(&self, caller: &Caller, req: AliasRequest) -> Result<Empty, KmsError> {
        let params = json!({ "aliasName": req.alias_name, "targetKeyId": req.target_key_id });
        self.call(
            caller,
            "UpdateAlias",
            params,
            false,
            true,
            |kms, inner, trail, now| {
                let name =
                    validate_alias_name(req.alias_name.as_deref(), req.target_key_id.is_none())?;
                let Some(pos) = inner.state.aliases.iter().position(|a| a.name == name) else {
                    return Err(KmsError::NotFound(format!(
                        "Alias {} is not found.",
                        kms.alias_arn(&name)
                    )));
                };
                if name.starts_with("alias/aws/") {
                    return Err(KmsError::NotAuthorized(
                        "Cannot update alias with prefix 'alias/aws/'".into(),
                    ));
                }
                let i = kms.resolve_alias_target(inner, req.target_key_id.as_deref())?;
                let key = &inner.state.keys[i];
                trail.resources.push(kms.key_arn(&key.id));
                kms.authorize(caller, key, "kms:UpdateAlias", None)?;
                kms.not_pending_deletion(key)?;
                let target = key.id.clone();
                let alias = &mut inner.state.aliases[pos];
                alias.target_key_id = target;
                alias.updated = now;
                Ok(Empty {})
            },
        )
    }

    pub fn delete_alias(&self, caller: &Caller, req: AliasRequest) -> Result<Empty, KmsError> {
        self.call(
            caller,
            "DeleteAlias",
            json!({ "aliasName": req.alias_name }),
            false,
            true,
            |kms, inner, trail, _| {
                let name = validate_alias_name(req.alias_name.as_deref(), false)?;
                let Some(pos) = inner.state.aliases.iter().position(|a| a.name == name) else {
                    return Err(KmsError::NotFound(format!(
                        "Alias {} is not found.",
                        kms.alias_arn(&name)
                    )));
                };
                if name.starts_with("alias/aws/") {
                    return Err(KmsError::NotAuthorized(
                        "Cannot delete alias with prefix 'alias/aws/'".into(),
                    ));
                }
                let target = inner.state.aliases[pos].target_key_id.clone();
                if let Some(key) = inner.state.keys.iter().find(|k| k.id == target) {
                    trail.resources.push(kms.key_arn(&key.id));
                    kms.authorize(caller, key, "kms:DeleteAlias", None)?;
                }
                inner.state.aliases.remove(pos);
                Ok(Empty {})
            },
        )
    }

    pub fn list_aliases(
        &self,
        caller: &Caller,
        req: ListRequest,
    ) -> Result<ListAliasesResponse, KmsError> {
        let params = json!({ "keyId": req.key_id, "limit": req.limit, "marker": req.marker });
        self.call(
            caller,
            "ListAliases",
            params,
            true,
            false,
            |kms, inner, _, _| {
                let (start, limit) = page(req.limit, req.marker.as_deref(), 100, 50)?;
                let filter = match req.key_id.as_deref() {
                    Some(k) => {
                        if k.starts_with("alias/") || k.contains(":alias/") {
                            return Err(KmsError::InvalidArn(format!("Invalid keyId {k}")));
                        }
                        let i = kms.resolve(inner, k)?;
                        kms.authorize(caller, &inner.state.keys[i], "kms:ListAliases", None)?;
                        Some(inner.state.keys[i].id.clone())
                    }
                    None => {
                        kms.authorize_account(caller, "kms:ListAliases")?;
                        None
                    }
                };
                let mut all: Vec<&AliasFile> = inner
                    .state
                    .aliases
                    .iter()
                    .filter(|a| filter.as_ref().is_none_or(|f| &a.target_key_id == f))
                    .collect();
                all.sort_by(|a, b| a.name.cmp(&b.name));
                let entries = all
                    .into_iter()
                    .map(|a| AliasListEntry {
                        alias_name: a.name.clone(),
                        alias_arn: kms.alias_arn(&a.name),
                        target_key_id: Some(a.target_key_id.clone()),
                        creation_date: Some(a.created),
                        last_updated_date: Some(a.updated),
                    })
                    .collect();
                let (aliases, next_marker) = slice_page(entries, start, limit);
                Ok(ListAliasesResponse {
                    truncated: next_marker.is_some(),
                    aliases,
                    next_marker,
                })
            },
        )
    }

    // ----- cryptography -----

    fn unwrap_material(
        &self,
        inner: &Inner,
        key: &KeyFile,
        m: &MaterialFile,
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        inner
            .root
            .unwrap(&key.id, &m.id, &m.wrapped)
            .map_err(KmsError::Internal)
    }

    fn symmetric_material(
        &self,
        inner: &Inner,
        key: &KeyFile,
        m: &MaterialFile,
    ) -> Result<Zeroizing<[u8; 32]>, KmsError> {
        let bytes = self.unwrap_material(inner, key, m)?;
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            KmsError::Internal(format!(
                "material {} of key {} is not 32 bytes",
                m.id, key.id
            ))
        })?;
        Ok(Zeroizing::new(arr))
    }

    fn rsa_key(&self, inner: &Inner, key: &KeyFile) -> Result<RsaPrivateKey, KmsError> {
        let m = current_material(key)?;
        let der = self.unwrap_material(inner, key, m)?;
        RsaPrivateKey::from_pkcs8_der(&der)
            .map_err(|e| KmsError::Internal(format!("RSA material of {} unreadable: {e}", key.id)))
    }

    /// Encrypts under the key's current material. Returns the blob and the material id used.
    fn seal(
        &self,
        inner: &Inner,
        key: &KeyFile,
        plaintext: &[u8],
        ctx: &EncryptionContext,
    ) -> Result<(Vec<u8>, String), KmsError> {
        let m = current_material(key)?;
        let material = self.symmetric_material(inner, key, m)?;
        let key_id = uuid_bytes::parse(&key.id)
            .ok_or_else(|| KmsError::Internal(format!("key id {} is not a UUID", key.id)))?;
        let mut material_id = [0u8; 32];
        hex::decode_to_slice(&m.id, &mut material_id)
            .map_err(|_| KmsError::Internal(format!("material id {} is not hex", m.id)))?;
        let header = BlobHeader {
            key_id,
            material_id,
            nonce: self.env.entropy.array(),
        };
        let sealed = blob::seal(&header, &material, plaintext, ctx)
            .map_err(|e| KmsError::Internal(e.to_string()))?;
        Ok((sealed, m.id.clone()))
    }

    /// Finds the key a symmetric blob names and checks it against the `KeyId` the caller gave.
    fn key_for_blob(
        &self,
        inner: &Inner,
        blob_bytes: &[u8],
        given: Option<usize>,
    ) -> Result<usize, KmsError> {
        let header = blob::parse_header(blob_bytes).map_err(|_| KmsError::InvalidCiphertext)?;
        let blob_key = uuid_bytes::format(&header.key_id);
        match inner.state.keys.iter().position(|k| k.id == blob_key) {
            Some(i) => match given {
                Some(g) if g != i => Err(KmsError::IncorrectKey),
                _ => Ok(i),
            },
            None if given.is_some() => Err(KmsError::IncorrectKey),
            // [unsure] AWS's answer for a blob whose key was deleted; NotFound names the key, which
            // is what the "lost key" lesson needs to show.
            None => Err(KmsError::key_not_found(&self.key_arn(&blob_key))),
        }
    }

    /// Decrypts a symmetric blob under key `i`. Returns the plaintext and the material id.
    fn open_blob(
        &self,
        inner: &Inner,
        i: usize,
        blob_bytes: &[u8],
        ctx: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, String), KmsError> {
        let key = &inner.state.keys[i];
        let header = blob::parse_header(blob_bytes).map_err(|_| KmsError::InvalidCiphertext)?;
        let material_id = hex::encode(header.material_id);
        let m = key
            .materials
            .iter()
            .find(|m| m.id == material_id)
            .ok_or(KmsError::InvalidCiphertext)?;
        let material = self.symmetric_material(inner, key, m)?;
        let plain =
            blob::open(blob_bytes, &material, ctx).map_err(|_| KmsError::InvalidCiphertext)?;
        Ok((plain, material_id))
    }

    fn rsa_padding(alg: EncryptionAlgorithm) -> Option<Oaep> {
        match alg {
            EncryptionAlgorithm::RsaesOaepSha1 => Some(Oaep::new::<sha1::Sha1>()),
            EncryptionAlgorithm::RsaesOaepSha256 => Some(Oaep::new::<sha2::Sha256>()),
            EncryptionAlgorithm::SymmetricDefault => None,
        }
    }

    pub fn encrypt(
        &self,
        caller: &Caller,
        req: EncryptRequest,
    ) -> Result<EncryptResponse, KmsError> {
        let params = json!({
            "keyId": req.key_id,
            "encryptionContext": req.encryption_context,
            "encryptionAlgorithm": req.encryption_algorithm.as_deref().unwrap_or("SYMMETRIC_DEFAULT"),
        });
        self.call(
            caller,
            "Encrypt",
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let mut v = Violations::default();
                if req.key_id.is_none() {
                    v.null("keyId");
                }
                match &req.plaintext {
                    None => v.null("plaintext"),
                    Some(p) if p.is_empty() => v.add(
                        None,
                        "plaintext",
                        "Member must have length greater than or equal to 1",
                    ),
                    Some(p) if p.len() > MAX_PLAINTEXT => v.add(
                        None,
                        "plaintext",
                        "Member must have length less than or equal to 4096",
                    ),
                    _ => {}
                }
                let alg = parse_algorithm(
                    &mut v,
                    "encryptionAlgorithm",
                    req.encryption_algorithm.as_deref(),
                );
                v.into_result()?;
                let plaintext = req
                    .plaintext
                    .as_ref()
                    .map(Blob::as_slice)
                    .unwrap_or_default();
                let ctx = req.encryption_context.clone().unwrap_or_default();
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:Encrypt",
                    Some(&ctx),
                )?;
                let key = &inner.state.keys[i];
                let arn = kms.key_arn(&key.id);
                kms.usable(key)?;
                if key.key_usage != KeyUsage::EncryptDecrypt {
                    return Err(KmsError::usage_not_valid(
                        &arn,
                        key.key_usage.as_str(),
                        "Encrypt",
                    ));
                }
                check_algorithm_fits(key.key_spec, alg)?;
                if req.dry_run == Some(true) {
                    return Err(KmsError::DryRunOperation);
                }
                let blob = if key.key_spec.is_symmetric() {
                    let (blob, material_id) = kms.seal(inner, key, plaintext, &ctx)?;
                    trail.material_id = Some(material_id);
                    blob
                } else {
                    let private = kms.rsa_key(inner, key)?;
                    let padding = Self::rsa_padding(alg)
                        .ok_or_else(|| KmsError::Internal("no RSA padding".into()))?;
                    let mut rng = kms.env.entropy.clone();
                    RsaPublicKey::from(&private)
                        .encrypt(&mut rng, padding, plaintext)
                        .map_err(|_| {
                            // [unsure] AWS's message when the plaintext exceeds what RSA-OAEP can carry.
                            KmsError::Validation(format!(
                                "Plaintext is too long for {} with {}.",
                                key.key_spec.as_str(),
                                alg.as_str()
                            ))
                        })?
                };
                Ok(EncryptResponse {
                    ciphertext_blob: Blob::new(blob),
                    key_id: arn,
                    encryption_algorithm: alg.as_str().into(),
                })
            },
        )
    }

    pub fn decrypt(
        &self,
        caller: &Caller,
        req: DecryptRequest,
    ) -> Result<DecryptResponse, KmsError> {
        let params = json!({
            "keyId": req.key_id,
            "encryptionContext": req.encryption_context,
            "encryptionAlgorithm": req.encryption_algorithm.as_deref().unwrap_or("SYMMETRIC_DEFAULT"),
        });
        self.call(
            caller,
            "Decrypt",
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let mut v = Violations::default();
                check_ciphertext(&mut v, "ciphertextBlob", req.ciphertext_blob.as_ref());
                let alg = parse_algorithm(
                    &mut v,
                    "encryptionAlgorithm",
                    req.encryption_algorithm.as_deref(),
                );
                v.into_result()?;
                let ciphertext = req
                    .ciphertext_blob
                    .as_ref()
                    .map(Blob::as_slice)
                    .unwrap_or_default();
                let ctx = req.encryption_context.clone().unwrap_or_default();
                let given = req
                    .key_id
                    .as_deref()
                    .map(|k| kms.resolve(inner, k))
                    .transpose()?;
                // An RSA key must be named: its ciphertext is raw RSA-OAEP and names nothing.
                if let Some(g) = given.filter(|g| !inner.state.keys[*g].key_spec.is_symmetric()) {
                    let key = &inner.state.keys[g];
                    let arn = kms.key_arn(&key.id);
                    trail.resources.push(arn.clone());
                    kms.authorize(caller, key, "kms:Decrypt", Some(&ctx))?;
                    kms.usable(key)?;
                    if key.key_usage != KeyUsage::EncryptDecrypt {
                        return Err(KmsError::usage_not_valid(
                            &arn,
                            key.key_usage.as_str(),
                            "Decrypt",
                        ));
                    }
                    check_algorithm_fits(key.key_spec, alg)?;
                    let padding = Self::rsa_padding(alg).ok_or(KmsError::InvalidCiphertext)?;
                    let plain = kms
                        .rsa_key(inner, key)?
                        .decrypt(padding, ciphertext)
                        .map_err(|_| KmsError::InvalidCiphertext)?;
                    return Ok(DecryptResponse {
                        key_id: arn,
                        plaintext: Blob::new(plain),
                        encryption_algorithm: alg.as_str().into(),
                        key_material_id: None,
                    });
                }
                let i = kms.key_for_blob(inner, ciphertext, given)?;
                let key = &inner.state.keys[i];
                let arn = kms.key_arn(&key.id);
                trail.resources.push(arn.clone());
                kms.authorize(caller, key, "kms:Decrypt", Some(&ctx))?;
                kms.usable(key)?;
                check_algorithm_fits(key.key_spec, alg)?;
                if req.dry_run == Some(true) {
                    return Err(KmsError::DryRunOperation);
                }
                let (plain, material_id) = kms.open_blob(inner, i, ciphertext, &ctx)?;
                trail.material_id = Some(material_id.clone());
                Ok(DecryptResponse {
                    key_id: arn,
                    plaintext: Blob(plain),
                    encryption_algorithm: alg.as_str().into(),
                    key_material_id: Some(material_id),
                })
            },
        )
    }

    pub fn generate_data_key(
        &self,
        caller: &Caller,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(caller, req, true)
    }

    pub fn generate_data_key_without_plaintext(
        &self,
        caller: &Caller,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        self.data_key(caller, req, false)
    }

    fn data_key(
        &self,
        caller: &Caller,
        req: GenerateDataKeyRequest,
        with_plaintext: bool,
    ) -> Result<GenerateDataKeyResponse, KmsError> {
        let (event, action) = if with_plaintext {
            ("GenerateDataKey", "kms:GenerateDataKey")
        } else {
            (
                "GenerateDataKeyWithoutPlaintext",
                "kms:GenerateDataKeyWithoutPlaintext",
            )
        };
        let mut params =
            json!({ "keyId": req.key_id, "encryptionContext": req.encryption_context });
        if let Some(spec) = &req.key_spec {
            params["keySpec"] = json!(spec);
        }
        if let Some(n) = req.number_of_bytes {
            params["numberOfBytes"] = json!(n);
        }
        self.call(
            caller,
            event,
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let mut v = Violations::default();
                if req.key_id.is_none() {
                    v.null("keyId");
                }
                let spec = match req.key_spec.as_deref() {
                    Some(s) => {
                        let parsed = DataKeySpec::parse(s);
                        if parsed.is_none() {
                            v.add(
                                Some(s),
                                "keySpec",
                                &format!(
                                    "Member must satisfy enum value set: {}",
                                    DataKeySpec::enum_set()
                                ),
                            );
                        }
                        parsed
                    }
                    None => None,
                };
                if let Some(n) = req.number_of_bytes {
                    range_check(&mut v, "numberOfBytes", n, 1, 1024);
                }
                v.into_result()?;
                let len = match (spec, req.number_of_bytes) {
                    (Some(s), None) => s.byte_len(),
                    (None, Some(n)) => usize::try_from(n).unwrap_or(0),
                    // [unsure] AWS uses this sentence both when neither and when both are given.
                    _ => {
                        return Err(KmsError::Validation(
                            "Please specify either number of bytes or key spec.".into(),
                        ))
                    }
                };
                let ctx = req.encryption_context.clone().unwrap_or_default();
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    action,
                    Some(&ctx),
                )?;
                let key = &inner.state.keys[i];
                let arn = kms.key_arn(&key.id);
                kms.usable(key)?;
                if key.key_usage != KeyUsage::EncryptDecrypt {
                    return Err(KmsError::usage_not_valid(
                        &arn,
                        key.key_usage.as_str(),
                        event,
                    ));
                }
                if !key.key_spec.is_symmetric() {
                    return Err(KmsError::spec_not_valid(&arn, key.key_spec, event));
                }
                if req.dry_run == Some(true) {
                    return Err(KmsError::DryRunOperation);
                }
                let mut data_key = Zeroizing::new(vec![0u8; len]);
                kms.env.entropy.fill(&mut data_key);
                let (blob, material_id) = kms.seal(inner, key, &data_key, &ctx)?;
                trail.material_id = Some(material_id.clone());
                Ok(GenerateDataKeyResponse {
                    ciphertext_blob: Blob::new(blob),
                    plaintext: with_plaintext.then(|| Blob(data_key)),
                    key_id: arn,
                    key_material_id: material_id,
                })
            },
        )
    }

    pub fn generate_random(
        &self,
        caller: &Caller,
        req: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse, KmsError> {
        let params = json!({ "numberOfBytes": req.number_of_bytes });
        self.call(
            caller,
            "GenerateRandom",
            params,
            true,
            false,
            |kms, _, _, _| {
                let mut v = Violations::default();
                match req.number_of_bytes {
                    Some(n) => range_check(&mut v, "numberOfBytes", n, 1, 1024),
                    None => v.null("numberOfBytes"),
                }
                v.into_result()?;
                if req.custom_key_store_id.is_some() {
                    return Err(KmsError::Unsupported(
                        "s3lab's KMS does not model custom key stores.".into(),
                    ));
                }
                kms.authorize_account(caller, "kms:GenerateRandom")?;
                let mut out =
                    vec![0u8; usize::try_from(req.number_of_bytes.unwrap_or(0)).unwrap_or(0)];
                kms.env.entropy.fill(&mut out);
                Ok(GenerateRandomResponse {
                    plaintext: Blob::new(out),
                })
            },
        )
    }

    pub fn re_encrypt(
        &self,
        caller: &Caller,
        req: ReEncryptRequest,
    ) -> Result<ReEncryptResponse, KmsError> {
        let params = json!({
            "sourceKeyId": req.source_key_id,
            "destinationKeyId": req.destination_key_id,
            "sourceEncryptionContext": req.source_encryption_context,
            "destinationEncryptionContext": req.destination_encryption_context,
        });
        self.call(
            caller,
            "ReEncrypt",
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let mut v = Violations::default();
                check_ciphertext(&mut v, "ciphertextBlob", req.ciphertext_blob.as_ref());
                if req.destination_key_id.is_none() {
                    v.null("destinationKeyId");
                }
                let src_alg = parse_algorithm(
                    &mut v,
                    "sourceEncryptionAlgorithm",
                    req.source_encryption_algorithm.as_deref(),
                );
                let dst_alg = parse_algorithm(
                    &mut v,
                    "destinationEncryptionAlgorithm",
                    req.destination_encryption_algorithm.as_deref(),
                );
                v.into_result()?;
                if src_alg != EncryptionAlgorithm::SymmetricDefault
                    || dst_alg != EncryptionAlgorithm::SymmetricDefault
                {
                    return Err(KmsError::Unsupported(
                        "s3lab's KMS re-encrypts only between symmetric keys.".into(),
                    ));
                }
                let ciphertext = req
                    .ciphertext_blob
                    .as_ref()
                    .map(Blob::as_slice)
                    .unwrap_or_default();
                let src_ctx = req.source_encryption_context.clone().unwrap_or_default();
                let dst_ctx = req
                    .destination_encryption_context
                    .clone()
                    .unwrap_or_default();
                let given = req
                    .source_key_id
                    .as_deref()
                    .map(|k| kms.resolve(inner, k))
                    .transpose()?;
                let si = kms.key_for_blob(inner, ciphertext, given)?;
                let di = kms.resolve(inner, require_key_id(req.destination_key_id.as_deref())?)?;
                let (src, dst) = (&inner.state.keys[si], &inner.state.keys[di]);
                let (src_arn, dst_arn) = (kms.key_arn(&src.id), kms.key_arn(&dst.id));
                trail.resources.push(src_arn.clone());
                if dst_arn != src_arn {
                    trail.resources.push(dst_arn.clone());
                }
                kms.authorize(caller, src, "kms:ReEncryptFrom", Some(&src_ctx))?;
                kms.authorize(caller, dst, "kms:ReEncryptTo", Some(&dst_ctx))?;
                kms.usable(src)?;
                kms.usable(dst)?;
                if !dst.key_spec.is_symmetric() || dst.key_usage != KeyUsage::EncryptDecrypt {
                    return Err(KmsError::spec_not_valid(
                        &dst_arn,
                        dst.key_spec,
                        "ReEncrypt",
                    ));
                }
                if req.dry_run == Some(true) {
                    return Err(KmsError::DryRunOperation);
                }
                let (plain, src_material) = kms.open_blob(inner, si, ciphertext, &src_ctx)?;
                let (blob, dst_material) = kms.seal(inner, dst, &plain, &dst_ctx)?;
                trail.material_id = Some(dst_material.clone());
                Ok(ReEncryptResponse {
                    ciphertext_blob: Blob::new(blob),
                    source_key_id: src_arn,
                    key_id: dst_arn,
                    source_encryption_algorithm: src_alg.as_str().into(),
                    destination_encryption_algorithm: dst_alg.as_str().into(),
                    source_key_material_id: Some(src_material),
                    destination_key_material_id: dst_material,
                })
            },
        )
    }

    // ----- rotation -----

    fn rotatable(&self, key: &KeyFile) -> Result<(), KmsError> {
        let arn = self.key_arn(&key.id);
        if !key.key_spec.is_symmetric() {
            // [unsure] wording, shaped like AWS's "origin is EXTERNAL which is not valid" message.
            return Err(KmsError::Unsupported(format!(
                "{arn} key spec is {} which is not valid for this operation.",
                key.key_spec.as_str()
            )));
        }
        Ok(())
    }

    pub fn enable_key_rotation(
        &self,
        caller: &Caller,
        req: EnableKeyRotationRequest,
    ) -> Result<Empty, KmsError> {
        let params =
            json!({ "keyId": req.key_id, "rotationPeriodInDays": req.rotation_period_in_days });
        self.call(
            caller,
            "EnableKeyRotation",
            params,
            false,
            true,
            |kms, inner, trail, now| {
                let mut v = Violations::default();
                if req.key_id.is_none() {
                    v.null("keyId");
                }
                let days = req
                    .rotation_period_in_days
                    .unwrap_or(i64::from(DEFAULT_ROTATION_DAYS));
                range_check(&mut v, "rotationPeriodInDays", days, 90, 2560);
                v.into_result()?;
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:EnableKeyRotation",
                    None,
                )?;
                let key = &inner.state.keys[i];
                kms.usable(key)?;
                kms.rotatable(key)?;
                let days = u32::try_from(days).unwrap_or(DEFAULT_ROTATION_DAYS);
                let key = &mut inner.state.keys[i];
                key.rotation_enabled = true;
                key.rotation_period_days = Some(days);
                key.next_rotation = Some(now + Duration::days(i64::from(days)));
                Ok(Empty {})
            },
        )
    }

    pub fn disable_key_rotation(
        &self,
        caller: &Caller,
        req: KeyIdRequest,
    ) -> Result<Empty, KmsError> {
        self.call(
            caller,
            "DisableKeyRotation",
            json!({ "keyId": req.key_id }),
            false,
            true,
            |kms, inner, trail, _| {
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:DisableKeyRotation",
                    None,
                )?;
                let key = &inner.state.keys[i];
                kms.usable(key)?;
                kms.rotatable(key)?;
                let key = &mut inner.state.keys[i];
                key.rotation_enabled = false;
                key.rotation_period_days = None;
                key.next_rotation = None;
                Ok(Empty {})
            },
        )
    }

    pub fn get_key_rotation_status(
        &self,
        caller: &Caller,
        req: KeyIdRequest,
    ) -> Result<KeyRotationStatusResponse, KmsError> {
        self.call(
            caller,
            "GetKeyRotationStatus",
            json!({ "keyId": req.key_id }),
            true,
            false,
            |kms, inner, trail, _| {
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:GetKeyRotationStatus",
                    None,
                )?;
                let key = &inner.state.keys[i];
                let arn = kms.key_arn(&key.id);
                kms.rotatable(key)?;
                // A key pending deletion reports rotation as off (reference 7.4).
                let on = key.rotation_enabled && key.state != KeyState::PendingDeletion;
                Ok(KeyRotationStatusResponse {
                    key_rotation_enabled: on,
                    key_id: arn,
                    rotation_period_in_days: key.rotation_period_days.filter(|_| on),
                    next_rotation_date: key.next_rotation.filter(|_| on),
                })
            },
        )
    }

    pub fn rotate_key_on_demand(
        &self,
        caller: &Caller,
        req: KeyIdRequest,
    ) -> Result<KeyIdResponse, KmsError> {
        self.call(caller, "RotateKeyOnDemand", json!({ "keyId": req.key_id }), false, true, |kms, inner, trail, now| {
            let i = kms.authorized_key(inner, trail, caller, req.key_id.as_deref(), "kms:RotateKeyOnDemand", None)?;
            let key = &inner.state.keys[i];
            let arn = kms.key_arn(&key.id);
            kms.usable(key)?;
            kms.rotatable(key)?;
            if key.key_manager == KeyManager::Aws {
                return Err(KmsError::Unsupported(format!("{arn} is an AWS managed key, which rotates only automatically.")));
            }
            if key.on_demand_rotations >= MAX_ON_DEMAND_ROTATIONS {
                return Err(KmsError::LimitExceeded(format!(
                    "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {arn}"
                )));
            }
            let material_id = kms.add_material(inner, i, now, RotationType::OnDemand)?;
            inner.state.keys[i].on_demand_rotations += 1;
            trail.material_id = Some(material_id);
            Ok(KeyIdResponse { key_id: arn })
        })
    }

    pub fn list_key_rotations(
        &self,
        caller: &Caller,
        req: ListRequest,
    ) -> Result<ListKeyRotationsResponse, KmsError> {
        let params = json!({ "keyId": req.key_id, "limit": req.limit, "marker": req.marker });
        self.call(
            caller,
            "ListKeyRotations",
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let (start, limit) = page(req.limit, req.marker.as_deref(), 1000, 100)?;
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:ListKeyRotations",
                    None,
                )?;
                let key = &inner.state.keys[i];
                let arn = kms.key_arn(&key.id);
                kms.rotatable(key)?;
                let current = key.materials.last().map(|m| m.id.clone());
                let all: Vec<RotationEntry> = key
                    .materials
                    .iter()
                    .filter_map(|m| {
                        m.rotation_type.map(|t| RotationEntry {
                            key_id: arn.clone(),
                            key_material_id: m.id.clone(),
                            key_material_state: if Some(&m.id) == current.as_ref() {
                                "CURRENT"
                            } else {
                                "NON_CURRENT"
                            }
                            .into(),
                            rotation_date: m.created,
                            rotation_type: t.as_str().into(),
                        })
                    })
                    .collect();
                let (rotations, next_marker) = slice_page(all, start, limit);
                Ok(ListKeyRotationsResponse {
                    truncated: next_marker.is_some(),
                    rotations,
                    next_marker,
                })
            },
        )
    }

    // ----- key policies -----

    pub fn get_key_policy(
        &self,
        caller: &Caller,
        req: KeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse, KmsError> {
        let params = json!({ "keyId": req.key_id, "policyName": req.policy_name.as_deref().unwrap_or("default") });
        self.call(
            caller,
            "GetKeyPolicy",
            params,
            true,
            false,
            |kms, inner, trail, _| {
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:GetKeyPolicy",
                    None,
                )?;
                let key = &inner.state.keys[i];
                check_policy_name(req.policy_name.as_deref())?;
                Ok(GetKeyPolicyResponse {
                    policy: key.policy.clone(),
                    policy_name: "default".into(),
                })
            },
        )
    }

    pub fn put_key_policy(
        &self,
        caller: &Caller,
        req: KeyPolicyRequest,
    ) -> Result<Empty, KmsError> {
        let params = json!({
            "keyId": req.key_id,
            "policyName": req.policy_name.as_deref().unwrap_or("default"),
            "bypassPolicyLockoutSafetyCheck": req.bypass_policy_lockout_safety_check.unwrap_or(false),
        });
        self.call(
            caller,
            "PutKeyPolicy",
            params,
            false,
            true,
            |kms, inner, trail, _| {
                let mut v = Violations::default();
                if req.key_id.is_none() {
                    v.null("keyId");
                }
                match &req.policy {
                    None => v.null("policy"),
                    Some(p) if p.is_empty() => v.add(
                        None,
                        "policy",
                        "Member must have length greater than or equal to 1",
                    ),
                    Some(p) if p.len() > MAX_POLICY => v.add(
                        None,
                        "policy",
                        "Member must have length less than or equal to 32768",
                    ),
                    _ => {}
                }
                v.into_result()?;
                let policy = req.policy.clone().unwrap_or_default();
                let i = kms.authorized_key(
                    inner,
                    trail,
                    caller,
                    req.key_id.as_deref(),
                    "kms:PutKeyPolicy",
                    None,
                )?;
                let key = &inner.state.keys[i];
                check_policy_name(req.policy_name.as_deref())?;
                kms.not_pending_deletion(key)?;
                authz::validate_policy(&policy)?;
                if !req.bypass_policy_lockout_safety_check.unwrap_or(false) {
                    authz::lockout_check(&policy, caller, &kms.config)?;
                }
                inner.state.keys[i].policy = policy;
                Ok(Empty {})
            },
        )
    }

    /// Read-only view of one key's metadata, for the lab's own displays (no audit record: this is
    /// the lab looking at its own state, not a KMS API call).
    pub fn inspect_key(&self, key_ref: &str) -> Result<KeyMetadata, KmsError> {
        let inner = lock(&self.inner);
        let i = self.resolve(&inner, key_ref)?;
        Ok(self.key_metadata(&inner.state.keys[i]))
    }

    /// The material ids of a key, oldest first, for the lab's displays. Never the material itself.
    pub fn material_ids(&self, key_ref: &str) -> Result<Vec<String>, KmsError> {
        let inner = lock(&self.inner);
        let i = self.resolve(&inner, key_ref)?;
        Ok(inner.state.keys[i]
            .materials
            .iter()
            .map(|m| m.id.clone())
            .collect())
    }
}

impl Inner {
    fn save(&self) -> Result<(), StoreError> {
        match &self.dir {
            Some(dir) => store::save_state(dir, &self.state),
            None => Ok(()),
        }
    }

    fn append_audit(&mut self, record: AuditRecord) {
        if let Some(log) = &mut self.log {
            match serde_json::to_string(&record) {
                Ok(line) => {
                    if let Err(e) = log.append(&line) {
                        tracing::error!(error = %e, path = %log.path().display(), "could not append to the audit trail");
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not serialise an audit record"),
            }
        }
        self.audit.push(record);
    }
}

/// CloudTrail writes `responseElements` in camelCase.
fn lower_first_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = match chars.next() {
                        Some(c) if k == "AWSAccountId" => {
                            format!("{}WSAccountId", c.to_ascii_lowercase())
                        }
                        Some(c) => format!("{}{}", c.to_ascii_lowercase(), chars.as_str()),
                        None => String::new(),
                    };
                    (key, lower_first_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(lower_first_keys).collect()),
        other => other.clone(),
    }
}

fn principal_id(arn: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(arn.as_bytes());
    format!("AIDA{}", hex::encode_upper(&digest[..8]))
}

fn require_key_id(key_id: Option<&str>) -> Result<&str, KmsError> {
    match key_id {
        Some(k) if !k.is_empty() => Ok(k),
        Some(_) => Err(KmsError::Validation(
            "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        )),
        None => Err(KmsError::Validation(
            "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null".into(),
        )),
    }
}

fn range_check(v: &mut Violations, member: &str, n: i64, min: i64, max: i64) {
    if n < min {
        v.add(
            Some(&n.to_string()),
            member,
            &format!("Member must have value greater than or equal to {min}"),
        );
    } else if n > max {
        v.add(
            Some(&n.to_string()),
            member,
            &format!("Member must have value less than or equal to {max}"),
        );
    }
}

fn check_ciphertext(v: &mut Violations, member: &str, blob: Option<&Blob>) {
    match blob {
        None => v.null(member),
        Some(b) if b.is_empty() => v.add(
            None,
            member,
            "Member must have length greater than or equal to 1",
        ),
        Some(b) if b.len() > MAX_CIPHERTEXT => v.add(
            None,
            member,
            "Member must have length less than or equal to 6144",
        ),
        _ => {}
    }
}

fn parse_algorithm(v: &mut Violations, member: &str, alg: Option<&str>) -> EncryptionAlgorithm {
    match alg {
        None => EncryptionAlgorithm::SymmetricDefault,
        Some(s) => EncryptionAlgorithm::parse(s).unwrap_or_else(|| {
            v.add(
                Some(s),
                member,
                &format!(
                    "Member must satisfy enum value set: {}",
                    EncryptionAlgorithm::enum_set()
                ),
            );
            EncryptionAlgorithm::SymmetricDefault
        }),
    }
}

fn check_algorithm_fits(spec: KeySpec, alg: EncryptionAlgorithm) -> Result<(), KmsError> {
    let fits = spec.is_symmetric() == (alg == EncryptionAlgorithm::SymmetricDefault);
    if fits {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {} is incompatible with key spec {}.",
            alg.as_str(),
            spec.as_str()
        )))
    }
}

fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some("default") => Ok(()),
        // [unsure] wording; "default" is the only policy name KMS has.
        Some(other) => Err(KmsError::NotFound(format!(
            "No such policy exists: {other}"
        ))),
    }
}

fn validate_alias_name(name: Option<&str>, target_missing: bool) -> Result<String, KmsError> {
    let mut v = Violations::default();
    match name {
        None => v.null("aliasName"),
        Some(n) => {
            if n.is_empty() {
                v.add(
                    Some(n),
                    "aliasName",
                    "Member must have length greater than or equal to 1",
                );
            } else if n.len() > 256 {
                v.add(
                    Some(n),
                    "aliasName",
                    "Member must have length less than or equal to 256",
                );
            } else if !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'))
            {
                v.add(
                    Some(n),
                    "aliasName",
                    &format!("Member must satisfy regular expression pattern: {ALIAS_PATTERN}"),
                );
            }
        }
    }
    if target_missing {
        v.null("targetKeyId");
    }
    v.into_result()?;
    let name = name.unwrap_or_default();
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Validates `Limit` and `Marker`; a marker is the index of the next item, as a decimal string.
fn page(
    limit: Option<i64>,
    marker: Option<&str>,
    max: i64,
    default: i64,
) -> Result<(usize, usize), KmsError> {
    let mut v = Violations::default();
    if let Some(l) = limit {
        range_check(&mut v, "limit", l, 1, max);
    }
    v.into_result()?;
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| KmsError::InvalidMarker("Invalid marker".into()))?,
    };
    let limit = usize::try_from(limit.unwrap_or(default)).unwrap_or(1);
    Ok((start, limit))
}

fn slice_page<T>(all: Vec<T>, start: usize, limit: usize) -> (Vec<T>, Option<String>) {
    let total = all.len();
    let end = start.saturating_add(limit).min(total);
    let items: Vec<T> = all.into_iter().skip(start).take(limit).collect();
    let next = (end < total).then(|| end.to_string());
    (items, next)
}
