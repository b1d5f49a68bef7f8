# One image for every Node component of strangler (legacy, user-service, cdc, proxy and the connector
# registration job); docker-compose.yml picks the component by command, e.g. `npx tsx proxy/main.ts`
# (= npm run start:proxy).
FROM node:20.20.2-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
# proxy client and admin ports, legacy, user-service, cdc (each service listens on its own).
EXPOSE 8080 8081 8082 8083 8084
CMD ["npx", "tsx", "legacy/main.ts"]
