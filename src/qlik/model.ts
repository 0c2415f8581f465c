/** The OAuth client as the rest of the action sees it, whatever view (admin or plain) Qlik returned. */
export interface ClientSecretMeta {
  /** Qlik's public label of a secret, at most 5 characters. Not unique forever: match with createdAt. */
  hint: string;
  createdAt: string | undefined;
}

export type ConsentMethod = 'trusted' | 'required';

export interface OAuthClient {
  clientId: string;
  clientName: string;
  appType: string;
  description: string;
  allowedScopes: string[];
  allowedGrantTypes: string[];
  consentMethod: ConsentMethod | undefined;
  secrets: ClientSecretMeta[];
  createdAt: string | undefined;
}
