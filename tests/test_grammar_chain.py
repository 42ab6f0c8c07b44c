""".NET exception chains in the forms RuleManager, System.Net.Mail, MailKit and Graph write them."""

from __future__ import annotations

import pytest

from logdoctor.grammar.chain import is_email_type, parse_chain

# --- the knowledge-base article (flattened: punctuation and separators lost) ----------------

ARTICLE_HANDSHAKE = (
    "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee.Security."
    "MailBeeSslNegotiationExceptionIOException occurred during SSL negotiation\n"
    "Perhapsyou need to specify a more secure protocol such as TLS 1.2 (see "
    "SecurityProtocol.TlsAuto). \n"
    "InnerException message follows\n"
    "The handshake failed due to an unexpected packet format---System.IO.IOExceptionThe "
    "handshake failed due to an unexpected packet format."
)

ARTICLE_TIMEOUT = (
    "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee."
    "MailBeeSocketTimeoutExceptionSocket connection has timed outInnerException message follows\n"
    "A connection attempt failed because the connected party did not properly respond after a "
    "period of timeor established connection failed because connected host has failed to "
    "respond \n"
    "---\n"
    "System.Net.Sockets.SocketException\n"
    "A connection attempt failed because the connected party did not properly respond after a "
    "period of timeor established connection failed because connected host has failed to respond"
)

ARTICLE_GMAIL = (
    "FChoice.RuleManager.NonFatalEmailServiceException: Received a permanent smtp error "
    "response. ---> MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException: \n"
    "The server has rejected authentication data sent  by the client. The server responded:  "
    "535 -5.7 .8 Username and Password not accepted. \n"
    "Learn more at  535  5.7 .8  https: //support.google.com/mail/?p=BadCredentials "
    "o193sm12343473vkc.45 - gsmtp."
)


def test_article_handshake_flattened() -> None:
    chain = parse_chain(ARTICLE_HANDSHAKE)
    assert chain.types == (
        "FChoice.RuleManager.FatalEmailServiceException",
        "MailBee.Security.MailBeeSslNegotiationException",
        "System.IO.IOException",
    )
    outer, mailbee, inner = chain.messages
    assert outer == "Failed to send an email"
    assert mailbee.startswith("IOException occurred during SSL negotiation\nPerhapsyou need")
    assert "InnerException message follows" in mailbee
    assert inner == "The handshake failed due to an unexpected packet format."
    assert not chain.partial


def test_article_timeout_flattened_with_separator_on_its_own_line() -> None:
    chain = parse_chain(ARTICLE_TIMEOUT)
    assert chain.types == (
        "FChoice.RuleManager.FatalEmailServiceException",
        "MailBee.MailBeeSocketTimeoutException",
        "System.Net.Sockets.SocketException",
    )
    assert chain.messages[1].startswith("Socket connection has timed out")
    assert chain.messages[2].startswith("A connection attempt failed because the connected party")
    assert chain.socket_errors == (10060,)


def test_article_gmail_message_on_next_line() -> None:
    chain = parse_chain(ARTICLE_GMAIL)
    assert chain.types == (
        "FChoice.RuleManager.NonFatalEmailServiceException",
        "MailBee.SmtpMail.MailBeeSmtpLoginBadCredentialsException",
    )
    assert chain.messages[0] == "Received a permanent smtp error response."
    # The message keeps its own line break.
    assert chain.messages[1].startswith("The server has rejected authentication data")
    assert "\nLearn more at" in chain.messages[1]
    assert [(r.code, r.enhanced) for r in chain.smtp_replies] == [(535, "5.7.8")]


def test_article_inner_message_without_inner_type() -> None:
    text = (
        "FChoice.RuleManager.FatalEmailServiceExceptionFailed to send an email---MailBee.Security."
        "MailBeeSslNegotiationExceptionIOException occurred during SSL negotiation\n"
        "Perhapsyou need to specify a more secure protocol such as TLS 1.2 (see "
        "SecurityProtocol.TlsAuto). \nInnerException message follows\n"
        "An existing connection was forcibly closed by the remote host."
    )
    chain = parse_chain(text)
    assert chain.types[-1] == "MailBee.Security.MailBeeSslNegotiationException"
    assert chain.messages[-1].endswith(
        "An existing connection was forcibly closed by the remote host."
    )
    assert chain.socket_errors == (10054,)


# --- System.Net.Mail, with frames and inner-exception markers --------------------------------

SYSTEM_NET_MAIL = """System.Net.Mail.SmtpException: Failure sending mail. ---> System.IO.IOException: Unable to read data from the transport connection: An existing connection was forcibly closed by the remote host. ---> System.Net.Sockets.SocketException: An existing connection was forcibly closed by the remote host
   at System.Net.Sockets.Socket.Receive(Byte[] buffer, Int32 offset, Int32 size, SocketFlags socketFlags)
   at System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)
   --- End of inner exception stack trace ---
   at System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)
   at System.Net.DelegatedStream.Read(Byte[] buffer, Int32 offset, Int32 count)
   at System.Net.Mail.SmtpReplyReaderFactory.ReadLines(SmtpReplyReader caller, Boolean oneLine)
   --- End of inner exception stack trace ---
   at System.Net.Mail.SmtpClient.Send(MailMessage message)
   at Acme.Notify.Mailer.Send(Notice notice) in C:\\src\\Acme.Notify\\Mailer.cs:line 212"""  # noqa: E501


def test_frames_belong_to_their_link() -> None:
    chain = parse_chain(SYSTEM_NET_MAIL)
    assert chain.types == (
        "System.Net.Mail.SmtpException",
        "System.IO.IOException",
        "System.Net.Sockets.SocketException",
    )
    outer, middle, inner = chain.links
    assert outer.message == "Failure sending mail."
    assert middle.message.startswith("Unable to read data from the transport connection:")
    assert inner.frames[0].startswith("at System.Net.Sockets.Socket.Receive(")
    assert len(inner.frames) == 2
    assert len(middle.frames) == 3
    assert outer.frames == (
        "at System.Net.Mail.SmtpClient.Send(MailMessage message)",
        "at Acme.Notify.Mailer.Send(Notice notice) in C:\\src\\Acme.Notify\\Mailer.cs:line 212",
    )
    assert chain.smtp_replies == ()  # ":line 212" is not a reply
    assert not chain.partial


def test_requires_secure_connection_reply() -> None:
    text = (
        "System.Net.Mail.SmtpException: The SMTP server requires a secure connection or the client "
        "was not authenticated. The server response was: 5.7.57 Client not authenticated to send "
        "mail. [BN0PR04CA0011.namprd04.prod.outlook.com 2026-11-27T10:15:02.123Z 08DEF5A1]\n"
        "   at System.Net.Mail.MailCommand.CheckResponse(SmtpStatusCode code, String response)\n"
        "   at System.Net.Mail.SmtpClient.Send(MailMessage message)"
    )
    chain = parse_chain(text)
    assert chain.types == ("System.Net.Mail.SmtpException",)
    assert chain.smtp_replies[0].enhanced == "5.7.57"
    assert len(chain.links[0].frames) == 2


def test_text_with_line_breaks_lost() -> None:
    flat = " ".join(line.strip() for line in SYSTEM_NET_MAIL.splitlines())
    chain = parse_chain(flat)
    assert chain.types == (
        "System.Net.Mail.SmtpException",
        "System.IO.IOException",
        "System.Net.Sockets.SocketException",
    )
    assert chain.messages[2] == "An existing connection was forcibly closed by the remote host"
    assert chain.links[0].frames[0] == "at System.Net.Mail.SmtpClient.Send(MailMessage message)"
    assert len(chain.links[2].frames) == 2


def test_arrow_starting_a_new_line_and_error_numbers() -> None:
    text = (
        "System.Net.Mail.SmtpException: Failure sending mail.\n"
        " ---> System.Security.Authentication.AuthenticationException: A call to SSPI failed, "
        "see inner exception.\n"
        " ---> System.ComponentModel.Win32Exception (0x80004005): The client and server cannot "
        "communicate, because they do not possess a common algorithm\n"
        "   --- End of inner exception stack trace ---\n"
        "   at System.Net.Security.SslState.StartSendAuthResetSignal(ProtocolToken message, "
        "AsyncProtocolRequest asyncRequest, Exception exception)\n"
        "   --- End of inner exception stack trace ---\n"
        "   at System.Net.Mail.SmtpClient.Send(MailMessage message)"
    )
    chain = parse_chain(text)
    assert chain.types == (
        "System.Net.Mail.SmtpException",
        "System.Security.Authentication.AuthenticationException",
        "System.ComponentModel.Win32Exception",
    )
    assert chain.messages[2].startswith("The client and server cannot communicate")
    assert chain.hresults == ("0x80004005",)
    assert len(chain.links[1].frames) == 1
    assert len(chain.links[0].frames) == 1


def test_socket_exception_with_number_in_parentheses() -> None:
    text = (
        "System.Net.Sockets.SocketException (10060): A connection attempt failed because the "
        "connected party did not properly respond after a period of time, or established "
        "connection failed because connected host has failed to respond 40.99.10.2:587\n"
        "   at System.Net.Sockets.Socket.Connect(EndPoint remoteEP)"
    )
    chain = parse_chain(text)
    assert chain.types == ("System.Net.Sockets.SocketException",)
    assert chain.socket_errors == (10060,)


# --- MailKit, Mono, async, generics ---------------------------------------------------------


def test_mailkit_office365_basic_auth_disabled_with_async_frames() -> None:
    text = (
        "MailKit.Security.AuthenticationException: 535: 5.7.139 Authentication unsuccessful, "
        "SmtpClientAuthentication is disabled for the Tenant. Visit "
        "https://aka.ms/smtp_auth_disabled for more information. "
        "[AM0PR02CA0012.eurprd02.prod.outlook.com 2026-11-27T09:01:02.000Z 08DC1234ABCD5678]\n"
        "   at MailKit.Net.Smtp.SmtpClient.<AuthenticateAsync>d__75.MoveNext()\n"
        "--- End of stack trace from previous location where exception was thrown ---\n"
        "   at System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)\n"
        "   at Acme.Mail.Sender+<>c__DisplayClass4_0.<SendAsync>b__0() in "
        "C:\\src\\Acme.Mail\\Sender.cs:line 48\n"
        "--- End of stack trace from previous location ---\n"
        "   at Acme.Mail.Queue`1.Drain[TItem](IEnumerable`1 items) in C:\\src\\Queue.cs:line 19"
    )
    chain = parse_chain(text)
    assert chain.types == ("MailKit.Security.AuthenticationException",)
    assert chain.messages[0].startswith("535: 5.7.139 Authentication unsuccessful")
    assert len(chain.links[0].frames) == 4  # markers are not frames
    assert chain.smtp_replies[0].code == 535
    assert chain.smtp_replies[0].enhanced == "5.7.139"


def test_mono_frames() -> None:
    text = (
        "MailKit.Net.Smtp.SmtpCommandException: 5.7.60 SMTP; Client does not have permissions to "
        "send as this sender\n"
        "  at MailKit.Net.Smtp.SmtpClient+<SendAsync>d__75.MoveNext () [0x00456] in "
        "<5f8e3b1c2a9d4e6f8a7b6c5d4e3f2a1b>:0 \n"
        "  at (wrapper managed-to-native) System.Object.__icall_wrapper_mono_gc_alloc_obj(intptr)\n"
        "  at System.Net.Sockets.Socket.Connect (System.Net.EndPoint remoteEP) <0x00012> in "
        "<a8460a77e67a430a8486a9751162e5f4>:0 "
    )
    chain = parse_chain(text)
    assert chain.types == ("MailKit.Net.Smtp.SmtpCommandException",)
    assert len(chain.links[0].frames) == 3
    assert chain.smtp_replies[0].enhanced == "5.7.60"


# --- localized frames and markers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "marker", "where"),
    [
        ("bei", "--- Ende der internen Ausnahmestapelüberwachung ---", "in C:\\src\\M.cs:Zeile 88"),
        (
            "à",
            "--- Fin de la trace de la pile d'exception interne ---",
            "dans C:\\src\\M.cs:ligne 88",
        ),
        (
            "en",
            "--- Fin del seguimiento de la pila de la excepción interna ---",
            "en C:\\src\\M.cs:línea 88",
        ),
        (
            "в",
            "--- Конец трассировки внутреннего стека исключений ---",
            "в C:\\src\\M.cs:строка 88",
        ),
        ("在", "--- 内部异常堆栈跟踪的结尾 ---", "位置 C:\\src\\M.cs:行号 88"),
    ],
)
def test_localized_frames(at: str, marker: str, where: str) -> None:
    text = (
        "System.Net.Mail.SmtpException: Fehler beim Senden von Mail. ---> System.IO.IOException: "
        "Die Verbindung mit dem Server wurde getrennt.\n"
        f"   {at} System.Net.Mail.SmtpReplyReaderFactory.ProcessRead(Byte[] buffer, Int32 offset)\n"
        f"   {marker}\n"
        f"   {at} System.Net.Mail.SmtpClient.Send(MailMessage message)\n"
        f"   {at} FChoice.RuleManager.Email.EmailService.Send(EmailMessage m) {where}"
    )
    chain = parse_chain(text)
    assert chain.types == ("System.Net.Mail.SmtpException", "System.IO.IOException")
    assert len(chain.links[1].frames) == 1
    assert len(chain.links[0].frames) == 2
    assert chain.links[0].frames[-1].endswith("88")
    assert not chain.partial


# --- AggregateException ---------------------------------------------------------------------

AGGREGATE = """System.AggregateException: One or more errors occurred. ---> System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.WebException: Unable to connect to the remote server ---> System.Net.Sockets.SocketException: No connection could be made because the target machine actively refused it 10.34.76.101:25
   at System.Net.Sockets.Socket.DoConnect(EndPoint endPointSnapshot, SocketAddress socketAddress)
   --- End of inner exception stack trace ---
   at System.Net.ServicePoint.GetConnection(PooledStream PooledStream, Object owner)
   --- End of inner exception stack trace ---
   at System.Net.Mail.SmtpClient.Send(MailMessage message)
   --- End of inner exception stack trace ---
   at System.Threading.Tasks.Task.ThrowIfExceptional(Boolean includeTaskCanceledExceptions)
   at Acme.Notify.Program.Main(String[] args) in C:\\src\\Program.cs:line 31
---> (Inner Exception #0) System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.WebException: Unable to connect to the remote server ---> System.Net.Sockets.SocketException: No connection could be made because the target machine actively refused it 10.34.76.101:25
   at System.Net.Sockets.Socket.DoConnect(EndPoint endPointSnapshot, SocketAddress socketAddress)
   --- End of inner exception stack trace ---
   at System.Net.ServicePoint.GetConnection(PooledStream PooledStream, Object owner)
   --- End of inner exception stack trace ---
   at System.Net.Mail.SmtpClient.Send(MailMessage message)<---

---> (Inner Exception #1) MailKit.Net.Smtp.SmtpCommandException: 4.7.0 Too many login attempts, please try again later.
   at MailKit.Net.Smtp.SmtpClient.Authenticate(ICredentials credentials)<---
"""  # noqa: E501


def test_aggregate_exception_blocks() -> None:
    chain = parse_chain(AGGREGATE)
    # Block #0 repeats the first inner chain and is not added twice; block #1 is new.
    assert chain.types == (
        "System.AggregateException",
        "System.Net.Mail.SmtpException",
        "System.Net.WebException",
        "System.Net.Sockets.SocketException",
        "MailKit.Net.Smtp.SmtpCommandException",
    )
    assert chain.messages[-1] == "4.7.0 Too many login attempts, please try again later."
    assert chain.links[-1].frames == (
        "at MailKit.Net.Smtp.SmtpClient.Authenticate(ICredentials credentials)",
    )
    assert len(chain.links[0].frames) == 2
    assert chain.socket_errors == (10061,)
    assert not chain.partial


# --- Microsoft Graph ------------------------------------------------------------------------


def test_graph_service_exception_with_status_line_first() -> None:
    text = (
        "Status Code: Unauthorized\n"
        "Microsoft.Graph.ServiceException: Code: InvalidAuthenticationToken\n"
        "Message: Access token validation failure. Invalid audience.\n"
        "Inner error:\n"
        "\tAdditionalData:\n"
        "\tdate: 2026-11-27T10:15:02\n"
        "\trequest-id: 6f1c2b1a-0d7e-4c55-9a8b-7d3e2f1a0b9c\n"
        "ClientRequestId: 6f1c2b1a-0d7e-4c55-9a8b-7d3e2f1a0b9c\n"
        "\n"
        "   at Microsoft.Graph.HttpProvider.<SendAsync>d__19.MoveNext()"
    )
    chain = parse_chain(text)
    assert chain.types == ("Microsoft.Graph.ServiceException",)
    assert chain.messages[0].startswith("Code: InvalidAuthenticationToken\nMessage: Access token")
    assert chain.http_status == (401,)
    assert is_email_type(chain.types[0])


def test_msal_and_odata_errors() -> None:
    text = (
        "Microsoft.Graph.Models.ODataErrors.ODataError: Exception of type "
        "'Microsoft.Graph.Models.ODataErrors.ODataError' was thrown. ---> "
        "Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client secret "
        "provided. Ensure the secret being sent in the request is the client secret value, not "
        "the client secret ID, for a secret added to app '00000000-0000-0000-0000-000000000000'."
    )
    chain = parse_chain(text)
    assert chain.types == (
        "Microsoft.Graph.Models.ODataErrors.ODataError",
        "Microsoft.Identity.Client.MsalServiceException",
    )
    assert chain.aad_codes == ("AADSTS7000215",)
    assert chain.messages[1].startswith("AADSTS7000215: Invalid client secret provided.")


# --- preamble, several exceptions, partial --------------------------------------------------


def test_log_message_before_the_exception_is_skipped() -> None:
    text = (
        "Failed to send email for time bomb 268435461 to first.last.@company.com\n"
        "MailBee.SmtpMail.MailBeeSmtpRefusedRecipientException: The server responded: 550 5.1.1 "
        "<first.last.@company.com>: Recipient address rejected: User unknown"
    )
    chain = parse_chain(text)
    assert chain.types == ("MailBee.SmtpMail.MailBeeSmtpRefusedRecipientException",)
    assert chain.smtp_replies[0].enhanced == "5.1.1"
    assert not chain.partial


def test_type_mentioned_in_running_text_is_not_a_header() -> None:
    chain = parse_chain("Retrying after System.TimeoutException was caught in the sender loop")
    # Not a header (no colon, lower-case text follows), but still reported, marked partial.
    assert chain.types == ("System.TimeoutException",)
    assert chain.partial


def test_plain_text_has_no_links() -> None:
    chain = parse_chain("Processing time bombs: 12 found")
    assert chain.links == ()


def test_garbage_after_frames_marks_partial_but_keeps_links() -> None:
    text = (
        "System.Net.Mail.SmtpException: Failure sending mail.\n"
        "   at System.Net.Mail.SmtpClient.Send(MailMessage message)\n"
        "\x00\x01binary junk that is not part of any stack trace"
    )
    chain = parse_chain(text)
    assert chain.types == ("System.Net.Mail.SmtpException",)
    assert chain.partial


def test_crlf_line_ends() -> None:
    chain = parse_chain(SYSTEM_NET_MAIL.replace("\n", "\r\n"))
    assert len(chain.links) == 3
    assert "\r" not in "".join(chain.messages)
    assert chain.links[0].frames[0] == "at System.Net.Mail.SmtpClient.Send(MailMessage message)"


def test_chain_carries_the_original_text() -> None:
    assert parse_chain(ARTICLE_GMAIL).text == ARTICLE_GMAIL


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("FChoice.RuleManager.FatalEmailServiceException", True),
        ("MailBee.MailBeeSocketTimeoutException", True),
        ("System.Net.Mail.SmtpException", True),
        ("MailKit.Security.AuthenticationException", True),
        ("Microsoft.Identity.Client.MsalServiceException", True),
        ("System.Data.SqlClient.SqlException", False),
        ("System.IO.IOException", False),
    ],
)
def test_email_types(name: str, email: bool) -> None:
    assert is_email_type(name) is email


def test_nested_and_generic_types_il_offsets_and_unknown_files() -> None:
    text = (
        "Acme.Mail.Sender+SendFailedException: Could not hand the message to "
        "smtp.office365.com:587 ---> System.ServiceModel.FaultException`1[[System.ServiceModel."
        "ExceptionDetail, System.ServiceModel, Version=4.0.0.0]]: The relay refused the message\n"
        "   at Acme.Mail.Relay.Submit(Message m) + 0x2c\n"
        "   at Acme.Mail.Sender.Send(Message m) in <filename unknown>:0\n"
        "   --- End of inner exception stack trace ---\n"
        "   at Acme.Mail.Sender.<>c.<SendAll>b__3_0(Message m)"
    )
    chain = parse_chain(text)
    # The generic arguments are not part of the type name.
    assert chain.types == (
        "Acme.Mail.Sender+SendFailedException",
        "System.ServiceModel.FaultException",
    )
    assert chain.messages == (
        "Could not hand the message to smtp.office365.com:587",
        "The relay refused the message",
    )
    assert len(chain.links[1].frames) == 2
    assert chain.links[0].frames == ("at Acme.Mail.Sender.<>c.<SendAll>b__3_0(Message m)",)
    assert chain.smtp_replies == ()  # ":587" is a port


def test_spaced_colon_and_tagged_inner_exceptions() -> None:
    text = (
        "[27.11.2026 03:49:26:345] System.Net.Mail.SmtpException : Failure sending mail.\n"
        "   at System.Net.Mail.SmtpClient.Send(MailMessage message)\n"
        "[Inner Exception] System.IO.IOException : Unable to read data from the transport "
        "connection: net_io_connectionclosed.\n"
        "   at System.Net.Mail.SmtpReplyReaderFactory.ProcessRead(Byte[] buffer, Int32 offset)"
    )
    chain = parse_chain(text)
    assert chain.types == ("System.Net.Mail.SmtpException", "System.IO.IOException")
    assert chain.messages[1].endswith("net_io_connectionclosed.")
    assert not chain.partial


def test_visual_studio_exception_details_layout() -> None:
    text = (
        "MailKit.Security.SslHandshakeException\n"
        "  HResult=0x80131500\n"
        "  Message=An error occurred while attempting to establish an SSL or TLS connection.\n"
        "\n"
        "The server's SSL certificate could not be validated.\n"
        "  Source=MailKit\n"
        "  StackTrace:\n"
        "   at MailKit.Net.Smtp.SmtpClient.<ConnectAsync>d__70.MoveNext()\n"
        "Inner Exception 1:\n"
        "AuthenticationException: The remote certificate is invalid according to the "
        "validation procedure: RemoteCertificateNameMismatch"
    )
    chain = parse_chain(text)
    assert chain.types == ("MailKit.Security.SslHandshakeException", "AuthenticationException")
    assert chain.messages[0].startswith("An error occurred while attempting to establish an SSL")
    assert chain.messages[0].endswith("could not be validated.")
    assert chain.links[0].frames == (
        "at MailKit.Net.Smtp.SmtpClient.<ConnectAsync>d__70.MoveNext()",
    )
    assert chain.messages[1].endswith("RemoteCertificateNameMismatch")
    assert chain.hresults == ("0x80131500",)


def test_localized_details_header_and_exchange_ndr_text() -> None:
    text = (
        "L'exception System.IO.IOException n'a pas été gérée\n"
        "  HResult=-2146232800\n"
        "  Message=Impossible de lire les données de la connexion de transport.\n"
        "  StackTrace:\n"
        "       à System.Net.Sockets.NetworkStream.Read(Byte[] buffer, Int32 offset, Int32 size)"
    )
    chain = parse_chain(text)
    assert chain.types == ("System.IO.IOException",)
    assert chain.messages == ("Impossible de lire les données de la connexion de transport.",)
    assert len(chain.links[0].frames) == 1
    # Exchange's own "Exception:" tokens are no .NET exception.
    ndr = (
        "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied;"
        " Failed to process message due to a permanent exception"
    )
    assert parse_chain(ndr).links == ()
