//! An in-process fake driver for the layer tests: it counts calls (started, finished, at most
//! in flight at once) and answers from a script of steps (answer, fail, hang, delay).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::driver::{
    Capabilities, Driver, DriverError, DriverResult, ErrorKind, ImageFilter, ListRequest, Page,
    Sent, ServerFilter,
};
use crate::model::{
    CreateServerRequest, CreateVolumeRequest, Image, Region, Server, ServerState, Size, Volume,
    VolumeState,
};

/// What the fake does on one call.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Answer at once.
    Answer,
    /// Answer after this long.
    Delay(Duration),
    /// Fail with this kind, Retry-After and sent status.
    Fail(ErrorKind, Option<Duration>, Sent),
    /// Never answer.
    Hang,
}

impl Step {
    /// A failure the provider answered.
    pub(crate) fn fail(kind: ErrorKind) -> Step {
        Step::Fail(kind, None, Sent::Yes)
    }
}

/// The fake driver.
pub(crate) struct Fake {
    script: Mutex<VecDeque<Step>>,
    otherwise: Mutex<Step>,
    capabilities: Mutex<Capabilities>,
    calls: AtomicUsize,
    finished: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Fake {
    /// A fake doing `otherwise` on every call not scripted.
    pub(crate) fn new(otherwise: Step) -> Fake {
        Fake {
            script: Mutex::new(VecDeque::new()),
            otherwise: Mutex::new(otherwise),
            capabilities: Mutex::new(Capabilities {
                list_servers: true,
                get_server: true,
                ..Capabilities::default()
            }),
            calls: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// The next calls do `steps`, in order, before falling back to the default.
    pub(crate) fn then(self, steps: impl IntoIterator<Item = Step>) -> Fake {
        self.lock_script().extend(steps);
        self
    }

    /// Changes what unscripted calls do.
    pub(crate) fn set_otherwise(&self, step: Step) {
        *self
            .otherwise
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = step;
    }

    /// Changes what the fake declares it can do.
    pub(crate) fn set_capabilities(&self, caps: Capabilities) {
        *self
            .capabilities
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = caps;
    }

    /// Calls started.
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Calls that ran to their end (not dropped).
    pub(crate) fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    /// The most calls in flight at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    fn lock_script(&self) -> std::sync::MutexGuard<'_, VecDeque<Step>> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn step<T>(&self, value: impl FnOnce() -> T) -> DriverResult<T> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let _leaving = Leaving(&self.in_flight);
        let step = self.lock_script().pop_front().unwrap_or_else(|| {
            self.otherwise
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        });
        let result = match step {
            Step::Answer => Ok(value()),
            Step::Delay(d) => {
                tokio::time::sleep(d).await;
                Ok(value())
            }
            Step::Fail(kind, after, sent) => {
                let e = DriverError::new(kind, "scripted failure").with_sent(sent);
                Err(match after {
                    Some(after) => e.with_retry_after(after),
                    None => e,
                })
            }
            Step::Hang => std::future::pending().await,
        };
        self.finished.fetch_add(1, Ordering::SeqCst);
        result
    }
}

struct Leaving<'a>(&'a AtomicUsize);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A server as the fake answers it.
pub(crate) fn server(id: &str) -> Server {
    Server {
        id: id.into(),
        provider: String::new(),
        name: id.into(),
        state: ServerState::Running,
        image_id: None,
        size_id: None,
        region: None,
        zone: None,
        public_ips: vec![],
        private_ips: vec![],
        created_at: None,
        tags: Default::default(),
        actions: vec![],
        extra: Default::default(),
    }
}

fn volume(id: &str) -> Volume {
    Volume {
        id: id.into(),
        provider: String::new(),
        name: id.into(),
        size_gib: 1,
        state: VolumeState::Available,
        zone: None,
        attachments: vec![],
        created_at: None,
        tags: Default::default(),
        extra: Default::default(),
    }
}

fn page<T>(items: Vec<T>) -> Page<T> {
    Page {
        items,
        next_cursor: None,
    }
}

#[async_trait]
impl Driver for Fake {
    fn capabilities(&self) -> Capabilities {
        *self
            .capabilities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
    async fn list_servers(&self, _: &ListRequest, _: &ServerFilter) -> DriverResult<Page<Server>> {
        self.step(|| page(vec![server("s1")])).await
    }
    async fn get_server(&self, id: &str) -> DriverResult<Server> {
        self.step(|| server(id)).await
    }
    async fn create_server(
        &self,
        req: &CreateServerRequest,
        _: Option<&str>,
    ) -> DriverResult<Server> {
        self.step(|| server(&req.name)).await
    }
    async fn start_server(&self, id: &str) -> DriverResult<Server> {
        self.step(|| server(id)).await
    }
    async fn stop_server(&self, id: &str) -> DriverResult<Server> {
        self.step(|| server(id)).await
    }
    async fn reboot_server(&self, id: &str) -> DriverResult<Server> {
        self.step(|| server(id)).await
    }
    async fn delete_server(&self, id: &str) -> DriverResult<Server> {
        self.step(|| server(id)).await
    }
    async fn list_images(&self, _: &ListRequest, _: &ImageFilter) -> DriverResult<Page<Image>> {
        self.step(|| page(vec![])).await
    }
    async fn get_image(&self, id: &str) -> DriverResult<Image> {
        self.step(|| ()).await?;
        Err(DriverError::not_found("image", id))
    }
    async fn list_sizes(&self, _: &ListRequest) -> DriverResult<Page<Size>> {
        self.step(|| page(vec![])).await
    }
    async fn list_regions(&self, _: &ListRequest) -> DriverResult<Page<Region>> {
        self.step(|| page(vec![])).await
    }
    async fn list_volumes(&self, _: &ListRequest) -> DriverResult<Page<Volume>> {
        self.step(|| page(vec![volume("v1")])).await
    }
    async fn get_volume(&self, id: &str) -> DriverResult<Volume> {
        self.step(|| volume(id)).await
    }
    async fn create_volume(
        &self,
        req: &CreateVolumeRequest,
        _: Option<&str>,
    ) -> DriverResult<Volume> {
        self.step(|| volume(&req.name)).await
    }
    async fn delete_volume(&self, id: &str) -> DriverResult<Volume> {
        self.step(|| volume(id)).await
    }
    async fn attach_volume(&self, id: &str, _: &str, _: Option<&str>) -> DriverResult<Volume> {
        self.step(|| volume(id)).await
    }
    async fn detach_volume(&self, id: &str) -> DriverResult<Volume> {
        self.step(|| volume(id)).await
    }
}
