"""Messages as mail clients, feedback loops and MTAs send them, built to the RFCs'
examples: an ARF report as in RFC 5965 appendix B, DSNs as in RFC 3464 appendix,
a mailto reply as a mail client writes it from `List-Unsubscribe`."""

from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid


def mailto(token: str | None, *, to="unsubscribe@mail.example.com",
           sender="alice@example.com", subject=None, headers=()) -> bytes:
    """What a mail client sends for `<mailto:...?subject=unsubscribe%20<token>>`."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject if subject is not None else f"unsubscribe {token}"
    message["Message-ID"] = make_msgid(domain="client.example.com")
    for name, value in headers:
        message[name] = value
    message.set_content("This message was sent to unsubscribe.\n")
    return message.as_bytes()


def original(*, to="alice@example.com", list_unsubscribe: str | None = None) -> EmailMessage:
    """The company's mail as a recipient got it."""
    message = EmailMessage()
    message["From"] = "news@shop.example.com"
    message["To"] = to
    message["Subject"] = "Our spring offers"
    message["Message-ID"] = make_msgid(domain="shop.example.com")
    if list_unsubscribe:
        message["List-Unsubscribe"] = list_unsubscribe
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("Spring is here.\n")
    return message


def arf(*, feedback_type="abuse", original_rcpt_to: str | None = None,
        embedded: EmailMessage | None = None, headers_only=False) -> bytes:
    """An RFC 5965 report: human part, machine part, the original (or its headers)."""
    report = MIMEMultipart("report", report_type="feedback-report")
    report["From"] = "<staff@hotmail.example>"
    report["To"] = "<fbl@mail.example.com>"
    report["Subject"] = "FW: Our spring offers"
    report["Message-ID"] = make_msgid(domain="hotmail.example")
    report["MIME-Version"] = "1.0"
    report.attach(MIMEText("This is an email abuse report for an email message received "
                           "from IP 192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT.\n"))
    fields = [f"Feedback-Type: {feedback_type}", "User-Agent: SomeGenerator/1.0", "Version: 1",
              "Original-Mail-From: <bounces@shop.example.com>"]
    if original_rcpt_to:
        fields.append(f"Original-Rcpt-To: <{original_rcpt_to}>")
    fields += ["Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT", "Source-IP: 192.0.2.1",
               "Reported-Domain: shop.example.com"]
    machine = MIMEBase("message", "feedback-report")
    machine.set_payload("\r\n".join(fields) + "\r\n")
    report.attach(machine)
    embedded = embedded or original()
    if headers_only:
        headers = MIMEBase("text", "rfc822-headers")
        headers.set_payload("".join(f"{k}: {v}\r\n" for k, v in embedded.items()))
        report.attach(headers)
    else:
        report.attach(MIMEMessage(embedded))
    return report.as_bytes()


def dsn(recipients: list[tuple[str, str, str]], *, embedded: EmailMessage | None = None,
        message_id: str | None = None) -> bytes:
    """An RFC 3464 report; `recipients` are (address, action, status) triples. Written
    out as text, as an MTA writes it (the `email` package cannot generate one)."""
    blocks = ["Reporting-MTA: dns; mx.example.org\r\nArrival-Date: Sat, 2 Jul 1994 17:10:28 -0400"]
    for address, action, status in recipients:
        blocks.append(f"Original-Recipient: rfc822;{address}\r\n"
                      f"Final-Recipient: rfc822;{address}\r\nAction: {action}\r\n"
                      f"Status: {status}\r\nDiagnostic-Code: smtp; {status[0]}50 mailbox\r\n"
                      "Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400")
    inner = (embedded or original(to=recipients[0][0])).as_bytes().decode()
    boundary = "RAA14128.773615765/mx.example.org"
    text = (
        "Date: Thu, 7 Jul 1994 17:16:05 -0400\r\n"
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\r\n"
        f"Message-Id: {message_id or make_msgid(domain='mx.example.org')}\r\n"
        "Subject: Returned mail: Cannot send message for 5 days\r\n"
        "To: <bounces@mail.example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'      boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\n\r\n"
        "   The original message was received at Sat, 2 Jul 1994 17:10:28 -0400\r\n"
        "      ----- The following addresses had delivery problems -----\r\n\r\n"
        f"--{boundary}\r\ncontent-type: message/delivery-status\r\n\r\n"
        + "\r\n\r\n".join(blocks) + "\r\n\r\n"
        f"--{boundary}\r\ncontent-type: message/rfc822\r\n\r\n{inner}\r\n"
        f"--{boundary}--\r\n")
    return text.encode()
