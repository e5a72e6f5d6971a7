"""A TLS client blocked 200 ms in read (test_io_waits): ssl reads are socket waits."""
import socket
import ssl
import sys
import threading
import time

cert = sys.argv[1]
srv_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
srv_ctx.load_cert_chain(cert)
cli_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
cli_ctx.check_hostname = False
cli_ctx.verify_mode = ssl.CERT_NONE
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen()
port = lsock.getsockname()[1]


def serve():
    conn, _ = lsock.accept()
    with srv_ctx.wrap_socket(conn, server_side=True) as s:
        time.sleep(0.2)
        s.sendall(b"secret")
        s.recv(10)


t = threading.Thread(target=serve, name="server")
t.start()
with cli_ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) as c:
    data = c.recv(100)  # TLS_RECV_LINE
    c.sendall(b"bye")
t.join()
print(data, port)
