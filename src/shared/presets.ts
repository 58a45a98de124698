import type { AuthMethod, TlsMode } from './settings.ts'

// Provider presets for Edit Settings: the relay settings of the providers admins
// use most, and the setup each needs on the provider's side. Data only: a new
// provider is one more entry in PRESETS (test/shared/presets.test.ts checks it
// against the settings schema).

/** How a relay lets this system in: a Sign-in method, or 'none' for relays that accept a sender by its IP address. */
export type PresetSignIn = AuthMethod | 'none'

export const SIGN_IN_LABELS: Record<PresetSignIn, string> = {
  password: 'Password',
  'oauth-microsoft': 'OAuth 2.0 — Microsoft 365, app-only',
  'oauth-google': 'OAuth 2.0 — Google service account',
  'oauth-custom': 'OAuth 2.0 — other provider',
  none: 'No sign-in: the relay accepts this system by its IP address',
}

/** One of several hosts of a provider (a region); picking it fills Relay Host. */
export interface HostChoice {
  label: string
  host: string
}

export interface Preset {
  id: string
  /**
   * The SPF include that covers the provider's outgoing servers, where mail keeps the From Address as its
   * envelope sender through them (Troubleshooting checks the From domain's record has it). Sources:
   * Microsoft Learn "Set up SPF to identify valid email sources for your Microsoft 365 domain";
   * Google Workspace Admin Help "Set up SPF" (answer 10684623).
   */
  spfInclude?: string
  name: string
  /** Relay Host, or a template when it contains `placeholder` (the part the admin completes). */
  relayHost: string
  /** The part of a template host the admin replaces; the schema refuses it, so an unfinished template cannot be saved. */
  placeholder?: string
  /** An example of what replaces the placeholder, as the provider's documentation shows it. */
  placeholderExample?: string
  /** Hosts to choose from (regions), with what the choice is called. */
  hostChoices?: { label: string; choices: readonly HostChoice[] }
  relayPort: number
  useTls: boolean
  tlsMode: TlsMode
  useSasl: boolean
  /** Sign-in methods the provider accepts; the first is the recommended one. */
  signIn: readonly PresetSignIn[]
  /** A Username the provider fixes for everyone (SendGrid's "apikey"); filled only into an empty field. */
  username?: string
  /** What goes in Username, in the provider's words. */
  usernameHint: string
  /** What to set up on the provider's side, facts only. */
  setup: string
  /** The provider's documentation the setup paragraph comes from. */
  source: string
}

// Amazon SES's SMTP endpoints are per region (email-smtp.<region>.amazonaws.com), and so are its SMTP credentials.
const SES_REGIONS: readonly HostChoice[] = [
  ['us-east-1', 'US East (N. Virginia)'],
  ['us-east-2', 'US East (Ohio)'],
  ['us-west-1', 'US West (N. California)'],
  ['us-west-2', 'US West (Oregon)'],
  ['ca-central-1', 'Canada (Central)'],
  ['sa-east-1', 'South America (São Paulo)'],
  ['eu-west-1', 'Europe (Ireland)'],
  ['eu-west-2', 'Europe (London)'],
  ['eu-west-3', 'Europe (Paris)'],
  ['eu-central-1', 'Europe (Frankfurt)'],
  ['eu-south-1', 'Europe (Milan)'],
  ['eu-north-1', 'Europe (Stockholm)'],
  ['il-central-1', 'Israel (Tel Aviv)'],
  ['me-south-1', 'Middle East (Bahrain)'],
  ['af-south-1', 'Africa (Cape Town)'],
  ['ap-south-1', 'Asia Pacific (Mumbai)'],
  ['ap-south-2', 'Asia Pacific (Hyderabad)'],
  ['ap-southeast-1', 'Asia Pacific (Singapore)'],
  ['ap-southeast-2', 'Asia Pacific (Sydney)'],
  ['ap-southeast-3', 'Asia Pacific (Jakarta)'],
  ['ap-northeast-1', 'Asia Pacific (Tokyo)'],
  ['ap-northeast-2', 'Asia Pacific (Seoul)'],
  ['ap-northeast-3', 'Asia Pacific (Osaka)'],
  ['us-gov-west-1', 'AWS GovCloud (US-West)'],
  ['us-gov-east-1', 'AWS GovCloud (US-East)'],
].map(([region, name]) => ({ label: `${name} — ${region}`, host: `email-smtp.${region}.amazonaws.com` }))

export const PRESETS: readonly Preset[] = [
  {
    id: 'microsoft-365',
    spfInclude: 'spf.protection.outlook.com',
    name: 'Microsoft 365',
    relayHost: 'smtp.office365.com',
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    signIn: ['oauth-microsoft', 'password'],
    usernameHint: 'The mailbox to send as, such as alerts@contoso.com; From Address must be that mailbox or one it may send as.',
    setup:
      'SMTP AUTH (Authenticated SMTP) must be enabled for the mailbox; tenants created since 2020 have it off. For OAuth app-only: register an app in Microsoft Entra ID, add the Office 365 Exchange Online application permission SMTP.SendAsApp and grant admin consent, then in Exchange Online PowerShell register the app’s service principal (New-ServicePrincipal, with the Object ID from Enterprise applications) and give it access to the mailbox (Add-MailboxPermission … -AccessRights FullAccess). A password works only while the tenant still allows basic authentication for SMTP AUTH and Security defaults are off.',
    source: 'https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth',
  },
  {
    id: 'microsoft-365-connector',
    spfInclude: 'spf.protection.outlook.com',
    name: 'Microsoft 365 relay connector',
    relayHost: '<tenant>-<tld>.mail.protection.outlook.com',
    placeholder: '<tenant>-<tld>',
    placeholderExample: 'contoso-com',
    relayPort: 25,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: false,
    signIn: ['none'],
    usernameHint: 'None: the connector recognises this system by its public IP address.',
    setup:
      'Relay Host is your domain’s MX endpoint, as your MX record shows it (contoso.com → contoso-com.mail.protection.outlook.com), on port 25, which the network must let out. In the Exchange admin center, Mail flow › Connectors, add a connector from “Your organization’s email server” to “Office 365” that identifies this system by its static public IP address (a certificate-based connector needs a client certificate, which this console does not present). From Address must be in one of your accepted domains; add the IP address to your domain’s SPF record so recipients trust the mail.',
    source: 'https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365',
  },
  {
    id: 'google-workspace',
    spfInclude: '_spf.google.com',
    name: 'Google Workspace',
    relayHost: 'smtp.gmail.com',
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    signIn: ['oauth-google', 'password'],
    usernameHint: 'The Workspace user’s full address, such as alerts@example.com.',
    setup:
      'Google no longer accepts the account password. For OAuth: create a service account in Google Cloud with a JSON key, and in the Admin console (Security › Access and data control › API controls › Manage Domain Wide Delegation) authorise its client ID for the scope https://mail.google.com/; the console then sends as the Username. Otherwise turn on 2-Step Verification for the user and create an app password, which goes in Password.',
    source: 'https://support.google.com/a/answer/176600',
  },
  {
    id: 'google-workspace-relay',
    spfInclude: '_spf.google.com',
    name: 'Google Workspace SMTP relay',
    relayHost: 'smtp-relay.gmail.com',
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: false,
    signIn: ['none', 'password'],
    usernameHint: 'None when the relay accepts this system’s IP address; with SMTP authentication required, a Workspace user and an app password.',
    setup:
      'In the Google Admin console, Apps › Google Workspace › Gmail › Routing, configure the SMTP relay service: choose the allowed senders (usually “Only addresses in my domains”), under Authentication choose “Only accept mail from the specified IP addresses” and add this system’s public IP address, and tick “Require TLS encryption”. From Address must be in your domain. Without TLS the relay accepts no login, only IP addresses.',
    source: 'https://support.google.com/a/answer/2956491',
  },
  {
    id: 'amazon-ses',
    name: 'Amazon SES',
    relayHost: 'email-smtp.<region>.amazonaws.com',
    placeholder: '<region>',
    placeholderExample: 'us-east-1',
    hostChoices: { label: 'AWS Region', choices: SES_REGIONS },
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    signIn: ['password'],
    usernameHint: 'The SMTP user name SES created for this region; the SMTP password goes in Password (neither is an AWS access key).',
    setup:
      'In the SES console of the chosen region, SMTP settings › Create SMTP credentials: SMTP credentials belong to one region and differ from AWS access keys. Verify the identity (the domain or the address) used as From Address. A new account is in the sandbox, per region: it sends only to verified addresses, at most 200 messages a day, until you request production access.',
    source: 'https://docs.aws.amazon.com/ses/latest/dg/send-email-smtp.html',
  },
  {
    id: 'sendgrid',
    name: 'SendGrid',
    relayHost: 'smtp.sendgrid.net',
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    signIn: ['password'],
    username: 'apikey',
    usernameHint: 'apikey, exactly that word; the API key itself goes in Password.',
    setup:
      'Create an API key (Settings › API Keys) with at least the Mail Send permission; it is shown once and goes in Password. From Address must be a verified Sender Identity: a single verified sender, or an address in a domain authenticated under Settings › Sender Authentication.',
    source: 'https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api',
  },
  {
    id: 'mailgun',
    name: 'Mailgun',
    relayHost: 'smtp.mailgun.org',
    hostChoices: {
      label: 'Mailgun region',
      choices: [
        { label: 'US — smtp.mailgun.org', host: 'smtp.mailgun.org' },
        { label: 'EU — smtp.eu.mailgun.org', host: 'smtp.eu.mailgun.org' },
      ],
    },
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    signIn: ['password'],
    usernameHint: 'The sending domain’s SMTP login, such as postmaster@mg.example.com (not the control panel login).',
    setup:
      'Add and verify the sending domain (Sending › Domains: the SPF and DKIM records it gives). SMTP credentials are per domain, under the domain’s settings; the password is shown once when created or reset. A domain in the EU region is reached only through smtp.eu.mailgun.org. From Address must be in that domain.',
    source: 'https://documentation.mailgun.com/docs/mailgun/user-manual/smtp-protocol/smtp-relay',
  },
  {
    id: 'postmark',
    name: 'Postmark',
    relayHost: 'smtp.postmarkapp.com',
    relayPort: 587,
    useTls: true,
    tlsMode: 'starttls',
    useSasl: true,
    signIn: ['password'],
    usernameHint: 'The Server API token; the same token goes in Password.',
    setup:
      'Copy the Server API token (Servers › your server › API Tokens); it is both the Username and the Password. From Address must be a confirmed Sender Signature or in a verified domain (Sender Signatures). Ports 25, 587 and 2525 take STARTTLS.',
    source: 'https://postmarkapp.com/support/article/811-what-are-the-smtp-details-api-tokens-i-should-be-using',
  },
]

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id)
}

/** Whether a host still holds the preset's placeholder, i.e. the admin has not completed it yet. */
export function hasPlaceholder(preset: Preset, host: string): boolean {
  return preset.placeholder !== undefined && host.includes(preset.placeholder)
}

/** The host with the placeholder replaced (the example when none is given). */
export function completeHost(preset: Preset, value = preset.placeholderExample ?? ''): string {
  return preset.placeholder ? preset.relayHost.replace(preset.placeholder, value) : preset.relayHost
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The preset a saved Relay Host belongs to: its host, one of its choices, or its template completed with any label. */
export function presetForHost(host: string): Preset | undefined {
  const h = host.trim().toLowerCase()
  if (h === '') return undefined
  return PRESETS.find((p) => {
    if (p.relayHost === h || p.hostChoices?.choices.some((c) => c.host === h)) return true
    if (!p.placeholder) return false
    const [before, after] = p.relayHost.split(p.placeholder) as [string, string]
    return new RegExp(`^${escape(before)}[a-z0-9-]+${escape(after)}$`).test(h)
  })
}
