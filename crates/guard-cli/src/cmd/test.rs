use super::Status;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> Status {
    eprintln!("error: not implemented yet");
    Status::Usage
}
