//! `harness serve`: a resident measurement process driven over stdin.
//!
//! An A/B compare alternates one base iteration with one head iteration
//! for many rounds. Starting a process per iteration would add start-up,
//! rule compilation and page-cache warming to every sample and spread
//! them unevenly between the sides, so each side keeps one [`Session`]
//! open and is told what to measure, one request per line.
//!
//! The protocol is JSON lines: the driver writes a [`Request`] per line to
//! the server's stdin and reads exactly one [`Response`] line from its
//! stdout; the server writes nothing else to stdout. End of input ends the
//! server. [`PROTOCOL`] changes whenever a message's meaning changes, and
//! [`Client::hello`] refuses a server that speaks another one.
//!
//! The messages ([`Request`], [`Response`], [`Hello`]) are the model's
//! (`harness_model::protocol`). Here: [`serve`] (the server loop over any
//! reader and writer) and [`Client`] (the driver's end, owning the child
//! process).

use crate::measure::{Session, TruthPolicy, Workload};
use harness_model::WorkloadId;
pub use harness_model::protocol::{CorpusInfo, Hello, PROTOCOL, Request, Response, Sample};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// Why serving stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reading requests: {0}")]
    Read(std::io::Error),
    #[error("writing responses: {0}")]
    Write(std::io::Error),
}

fn hello<W: Workload>(session: &Session<W>) -> Hello {
    Hello {
        protocol: PROTOCOL,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: session.environment().clone(),
        counter_source: session.counter_source(),
        tsc_hz: session.tsc_hz(),
        corpora: session.corpora(),
    }
}

/// Answers requests from `input` on `output` until end of input. A bad
/// request or a failed measurement is answered with [`Response::Error`];
/// only broken pipes end the loop early.
pub fn serve<W: Workload>(
    session: &mut Session<W>,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<(), ServeError> {
    for line in input.lines() {
        let line = line.map_err(ServeError::Read)?;
        if line.trim().is_empty() {
            continue;
        }
        let response = match serde_json::from_str::<Request>(&line) {
            Err(e) => Response::Error {
                message: format!("bad request {line:?}: {e}"),
            },
            Ok(Request::Hello) => Response::Hello(Box::new(hello(session))),
            Ok(Request::Measure {
                stratum,
                warmup,
                index,
            }) => match session.measure(&stratum, warmup, index, TruthPolicy::Report) {
                Ok(sample) => Response::Sample(Box::new(sample)),
                Err(e) => Response::Error {
                    message: e.to_string(),
                },
            },
        };
        let text = serde_json::to_string(&response)
            .map_err(|e| ServeError::Write(std::io::Error::other(e)))?;
        writeln!(output, "{text}").map_err(ServeError::Write)?;
        output.flush().map_err(ServeError::Write)?;
    }
    Ok(())
}

/// Why the driver's end failed; `side` names which build it was talking to.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{side}: starting {program}: {source}")]
    Spawn {
        side: String,
        program: String,
        source: std::io::Error,
    },
    #[error("{side}: the server closed its output (it exited; its stderr is above)")]
    Closed { side: String },
    #[error("{side}: talking to the server: {source}")]
    Io {
        side: String,
        source: std::io::Error,
    },
    #[error("{side}: unreadable response {line:?}: {reason}")]
    Garbled {
        side: String,
        line: String,
        reason: String,
    },
    #[error(
        "{side}: the server speaks protocol {found}, this driver {PROTOCOL}: is its revision older than `harness serve`?"
    )]
    Protocol { side: String, found: u32 },
    #[error("{side}: {message}")]
    Failed { side: String, message: String },
}

/// The driver's end of one server: the child process and its pipes. The
/// child is killed when the client is dropped.
#[derive(Debug)]
pub struct Client {
    side: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: String,
}

impl Client {
    /// Starts `program serve ARGS…` in `dir`; its stderr goes to ours.
    pub fn spawn(
        side: &str,
        program: &Path,
        dir: &Path,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<Client, ClientError> {
        let mut child = Command::new(program)
            .current_dir(dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| ClientError::Spawn {
                side: side.to_string(),
                program: program.display().to_string(),
                source,
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(ClientError::Closed {
                side: side.to_string(),
            });
        };
        Ok(Client {
            side: side.to_string(),
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            line: String::new(),
        })
    }

    fn call(&mut self, request: &Request) -> Result<Response, ClientError> {
        let side = || self.side.clone();
        let text = serde_json::to_string(request).map_err(|e| ClientError::Io {
            side: side(),
            source: std::io::Error::other(e),
        })?;
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(ClientError::Closed { side: side() });
        };
        writeln!(stdin, "{text}")
            .and_then(|()| stdin.flush())
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::BrokenPipe => ClientError::Closed { side: side() },
                _ => ClientError::Io {
                    side: side(),
                    source,
                },
            })?;
        self.line.clear();
        let n = self
            .stdout
            .read_line(&mut self.line)
            .map_err(|source| ClientError::Io {
                side: side(),
                source,
            })?;
        if n == 0 {
            return Err(ClientError::Closed { side: side() });
        }
        match serde_json::from_str::<Response>(self.line.trim_end()) {
            Ok(Response::Error { message }) => Err(ClientError::Failed {
                side: side(),
                message,
            }),
            Ok(r) => Ok(r),
            Err(e) => Err(ClientError::Garbled {
                side: side(),
                line: self.line.trim_end().chars().take(200).collect(),
                reason: e.to_string(),
            }),
        }
    }

    /// Asks who the server is; refuses another protocol version.
    pub fn hello(&mut self) -> Result<Hello, ClientError> {
        match self.call(&Request::Hello)? {
            Response::Hello(h) if h.protocol == PROTOCOL => Ok(*h),
            Response::Hello(h) => Err(ClientError::Protocol {
                side: self.side.clone(),
                found: h.protocol,
            }),
            other => Err(self.unexpected(&other)),
        }
    }

    /// One measured scan of `stratum`.
    pub fn measure(
        &mut self,
        stratum: &WorkloadId,
        warmup: bool,
        index: usize,
    ) -> Result<Sample, ClientError> {
        match self.call(&Request::Measure {
            stratum: stratum.clone(),
            warmup,
            index,
        })? {
            Response::Sample(s) => Ok(*s),
            other => Err(self.unexpected(&other)),
        }
    }

    fn unexpected(&self, r: &Response) -> ClientError {
        ClientError::Garbled {
            side: self.side.clone(),
            line: format!("{r:?}").chars().take(200).collect(),
            reason: "not the answer to the request".into(),
        }
    }

    /// Closes the server's input and waits for it to exit.
    pub fn finish(mut self) -> Result<(), ClientError> {
        drop(self.stdin.take());
        let status = self.child.wait().map_err(|source| ClientError::Io {
            side: self.side.clone(),
            source,
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(ClientError::Failed {
                side: self.side.clone(),
                message: format!("the server exited with {status}"),
            })
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
