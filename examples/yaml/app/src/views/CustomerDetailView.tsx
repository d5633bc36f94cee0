import { ContextView, Box } from "@stripe/ui-extension-sdk/ui";
import type { ExtensionContextValue } from "@stripe/ui-extension-sdk/context";

const CustomerDetailView = ({ environment }: ExtensionContextValue) => (
  <ContextView title="Billing Helper">
    <Box>Plan details for {environment.objectContext?.id}</Box>
  </ContextView>
);

export default CustomerDetailView;
