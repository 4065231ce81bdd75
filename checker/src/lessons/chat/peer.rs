//! `cargo grade peer chat`: the checker's own room, on loopback, until
//! Ctrl-C. Try the protocol with `nc -C`, or your client against a server
//! that is not yours.

use std::net::TcpListener;

pub fn serve_by_hand() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("the checker's chat room listens on {addr} (Ctrl-C stops it)");
    println!("try, in two or three terminals:");
    println!("      nc -C {} {}", addr.ip(), addr.port());
    println!("      cargo run -q -p chat --bin chat-client -- {addr} alice");
    println!(
        "limits: names of 1 to 16 letters or digits; lines of 1000 bytes; 1024 lines queued per member; 300 s idle"
    );
    super::room::serve(listener);
    Ok(())
}
